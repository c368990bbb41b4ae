#include "storage/piece_cache.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/operations.hpp>

namespace ezio::storage {

namespace {

constexpr int block_size = BlockPool::block_size;

lt::storage_error make_error(boost::system::errc::errc_t code, lt::operation_t op)
{
	return lt::storage_error(boost::system::errc::make_error_code(code), op);
}

}  // namespace

PieceCache::PieceCache(BlockPool& pool, lt::buffer_allocator_interface& allocator)
	: m_pool(pool), m_allocator(allocator)
{}

PieceCache::~PieceCache()
{
	// Owners flush before destroying; whatever is left was never written.
	for (auto& [key, piece] : m_pieces)
		for (char* block : piece.blocks) m_pool.free(block);
}

void PieceCache::write(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, char* block,
	WriteHandler handler, Completions& out)
{
	int const blocks = storage->blocks_in_piece(r.piece);
	int const index = r.start / block_size;
	if (r.start % block_size != 0 || index >= blocks || r.length != storage->block_length(r.piece, index)) {
		// libtorrent only writes whole, aligned blocks; anything else is a bug
		// we must not turn into a write at the wrong place.
		m_pool.free(block);
		out.push_back([h = std::move(handler)] {
			h(make_error(boost::system::errc::invalid_argument, lt::operation_t::file_write));
		});
		return;
	}

	Piece& p = m_pieces[key(*storage, r.piece)];
	if (!p.storage) {
		p.storage = storage;
		p.blocks.assign(std::size_t(blocks), nullptr);
	}
	if (p.blocks_in_memory == 0) p.first_write = Clock::now();

	char*& slot = p.blocks[std::size_t(index)];
	if (slot != nullptr) m_pool.free(slot);  // a block sent twice: the newest wins
	else ++p.blocks_in_memory;
	slot = block;
	p.hash.reset();
	p.waiting.emplace_back(index, std::move(handler));

	if (p.blocks_in_memory == blocks) {
		p.hash = hash_from_memory(r.piece, p);
		write_out(r.piece, p, out);
	}
}

void PieceCache::read(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, ReadHandler handler,
	Completions& out)
{
	auto fail = [&](lt::storage_error const& error) {
		out.push_back([h = std::move(handler), error] { h(lt::disk_buffer_holder(), error); });
	};

	if (r.start < 0 || r.length <= 0 || r.length > block_size
		|| r.start + r.length > storage->extents().piece_size(r.piece))
		return fail(make_error(boost::system::errc::invalid_argument, lt::operation_t::file_read));

	char* buffer = m_pool.allocate();
	if (buffer == nullptr) return fail(make_error(boost::system::errc::not_enough_memory, lt::operation_t::alloc_cache_piece));

	auto const it = m_pieces.find(key(*storage, r.piece));
	Piece const* p = it == m_pieces.end() ? nullptr : &it->second;

	// Walk the request block by block: copy what is in memory, read runs of
	// what is not.
	lt::storage_error error;
	int position = r.start;
	int const end = r.start + r.length;
	while (position < end && !error) {
		int const index = position / block_size;
		int const block_end = std::min((index + 1) * block_size, end);
		char* dest = buffer + (position - r.start);
		char const* cached = p ? p->blocks[std::size_t(index)] : nullptr;
		if (cached != nullptr) {
			std::memcpy(dest, cached + (position - index * block_size), std::size_t(block_end - position));
		} else {
			error = storage->read(r.piece, position, block_end - position, dest);
		}
		position = block_end;
	}

	if (error) {
		m_pool.free(buffer);
		return fail(error);
	}
	// The holder is made on the network thread: it is move-only, and the
	// completion must be copyable.
	out.push_back([h = std::move(handler), buffer, length = r.length, alloc = &m_allocator] {
		h(lt::disk_buffer_holder(*alloc, buffer, length), lt::storage_error());
	});
}

void PieceCache::hash(std::shared_ptr<RawStorage> const& storage, lt::piece_index_t piece, HashHandler handler,
	Completions& out)
{
	auto const it = m_pieces.find(key(*storage, piece));
	Piece* p = it == m_pieces.end() ? nullptr : &it->second;

	lt::sha1_hash result;
	lt::storage_error error;
	if (p != nullptr && p->hash) {
		result = *p->hash;
	} else {
		// Some blocks are on disk already (written out early, or by an
		// earlier run of the daemon): read those, take the rest from memory.
		lt::hasher h;
		char* scratch = nullptr;
		int const blocks = storage->blocks_in_piece(piece);
		for (int b = 0; b < blocks && !error; ++b) {
			int const length = storage->block_length(piece, b);
			char const* cached = p ? p->blocks[std::size_t(b)] : nullptr;
			if (cached == nullptr) {
				if (scratch == nullptr) scratch = m_pool.allocate();
				if (scratch == nullptr) {
					error = make_error(boost::system::errc::not_enough_memory, lt::operation_t::alloc_cache_piece);
					break;
				}
				error = storage->read(piece, b * block_size, length, scratch);
				cached = scratch;
			}
			if (!error) h.update(cached, length);
		}
		m_pool.free(scratch);
		if (!error) result = h.final();
	}

	if (p != nullptr) {
		write_out(piece, *p, out);
		m_pieces.erase(it);
	}
	out.push_back([h = std::move(handler), piece, result, error] { h(piece, result, error); });
}

void PieceCache::clear_piece(RawStorage const& storage, lt::piece_index_t piece, Completions& out)
{
	auto const it = m_pieces.find(key(storage, piece));
	if (it == m_pieces.end()) return;
	write_out(piece, it->second, out);
	m_pieces.erase(it);
}

void PieceCache::flush_storage(RawStorage const& storage, Completions& out)
{
	auto it = m_pieces.lower_bound(Key{storage.id(), 0});
	while (it != m_pieces.end() && it->first.first == storage.id()) {
		write_out(lt::piece_index_t{it->first.second}, it->second, out);
		it = m_pieces.erase(it);
	}
}

void PieceCache::flush_partial(Clock::time_point cutoff, Completions& out)
{
	for (auto it = m_pieces.begin(); it != m_pieces.end();) {
		Piece& p = it->second;
		if (p.blocks_in_memory > 0 && p.first_write <= cutoff) {
			write_out(lt::piece_index_t{it->first.second}, p, out);
			// Without a hash there is nothing left worth keeping: the hash
			// will be computed from the disk.
			if (!p.hash) {
				it = m_pieces.erase(it);
				continue;
			}
		}
		++it;
	}
}

void PieceCache::flush_all(Completions& out)
{
	for (auto& [key, p] : m_pieces) write_out(lt::piece_index_t{key.second}, p, out);
	m_pieces.clear();
}

std::optional<PieceCache::Clock::time_point> PieceCache::oldest_write() const
{
	std::optional<Clock::time_point> oldest;
	for (auto const& [key, p] : m_pieces)
		if (p.blocks_in_memory > 0 && (!oldest || p.first_write < *oldest)) oldest = p.first_write;
	return oldest;
}

void PieceCache::write_out(lt::piece_index_t piece, Piece& p, Completions& out)
{
	if (p.blocks_in_memory > 0) {
		std::vector<BlockRef> refs;
		refs.reserve(std::size_t(p.blocks_in_memory));
		for (std::size_t b = 0; b < p.blocks.size(); ++b)
			if (p.blocks[b] != nullptr) refs.push_back(BlockRef{int(b), p.blocks[b], {}});
		p.storage->write_blocks(piece, refs);

		// Every waiting handler learns the fate of its own block.
		std::vector<lt::storage_error> errors(p.blocks.size());
		for (BlockRef const& ref : refs) errors[std::size_t(ref.index)] = ref.error;
		for (auto& [block, handler] : p.waiting)
			out.push_back([h = std::move(handler), error = errors[std::size_t(block)]] { h(error); });
		p.waiting.clear();

		for (char*& block : p.blocks) {
			m_pool.free(block);
			block = nullptr;
		}
		p.blocks_in_memory = 0;
	}
	// Every waiting handler belongs to a block in memory (a block sent twice
	// keeps both handlers, and both share the newest copy's fate), so none is
	// left waiting here.
}

lt::sha1_hash PieceCache::hash_from_memory(lt::piece_index_t piece, Piece const& p) const
{
	lt::hasher h;
	for (std::size_t b = 0; b < p.blocks.size(); ++b)
		h.update(p.blocks[b], p.storage->block_length(piece, int(b)));
	return h.final();
}

}  // namespace ezio::storage
