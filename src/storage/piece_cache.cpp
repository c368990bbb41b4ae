#include "storage/piece_cache.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/operations.hpp>
#include <spdlog/spdlog.h>

#include "chunk/codec.hpp"

namespace ezio::storage {

namespace {

constexpr int block_size = BlockPool::block_size;

lt::storage_error make_error(boost::system::errc::errc_t code, lt::operation_t op)
{
	return lt::storage_error(boost::system::errc::make_error_code(code), op);
}

std::int64_t micros_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

PieceCache::PieceCache(BlockPool& pool, lt::buffer_allocator_interface& allocator, EngineStats& stats,
	std::atomic<std::int64_t>& clean_bytes, int workers, std::function<void()> ask_to_trim)
	: m_pool(pool)
	, m_allocator(allocator)
	, m_stats(stats)
	, m_all_clean_bytes(clean_bytes)
	, m_workers(std::max(1, workers))
	, m_ask_to_trim(std::move(ask_to_trim))
{}

std::int64_t PieceCache::cache_share() const
{
	return m_pool.cache_limit() / m_workers;
}

PieceCache::~PieceCache()
{
	// Owners flush before destroying; this only gives the memory back.
	for (auto& [key, p] : m_pieces)
		for (std::size_t b = 0; b < p.blocks.size(); ++b) forget_block(p, int(b));
	release_scratch();
}

PieceCache::Piece& PieceCache::get(std::shared_ptr<RawStorage> const& storage, lt::piece_index_t piece)
{
	Piece& p = m_pieces[key(*storage, piece)];
	if (!p.storage) {
		p.storage = storage;
		std::size_t const blocks = std::size_t(storage->blocks_in_piece(piece));
		p.blocks.assign(blocks, nullptr);
		p.state.assign(blocks, State::absent);
		p.served.assign(blocks, false);
	}
	return p;
}

void PieceCache::set_block(Piece& p, int index, char* block, State state)
{
	p.blocks[std::size_t(index)] = block;
	p.state[std::size_t(index)] = state;
	if (state == State::dirty) {
		++p.dirty;
		if (p.storage->chunked()) m_pool.add_waiting_for_peers(block_size);
	} else {
		++p.clean;
		++m_clean_blocks;
		m_all_clean_bytes.fetch_add(block_size, std::memory_order_relaxed);
	}
}

void PieceCache::forget_block(Piece& p, int index)
{
	State& state = p.state[std::size_t(index)];
	if (state == State::absent) return;
	if (state == State::dirty) {
		--p.dirty;
		if (p.storage->chunked()) m_pool.add_waiting_for_peers(-block_size);
	} else {
		--p.clean;
		--m_clean_blocks;
		m_all_clean_bytes.fetch_sub(block_size, std::memory_order_relaxed);
	}
	m_pool.release(p.blocks[std::size_t(index)]);
	p.blocks[std::size_t(index)] = nullptr;
	state = State::absent;
}

void PieceCache::write(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, char* block,
	WriteHandler handler, Completions& out)
{
	int const blocks = storage->blocks_in_piece(r.piece);
	int const index = r.start / block_size;
	if (r.start % block_size != 0 || index >= blocks || r.length != storage->block_length(r.piece, index)) {
		// libtorrent only writes whole, aligned blocks; anything else is a bug
		// we must not turn into a write at the wrong place.
		m_pool.release(block);
		out.push_back([h = std::move(handler)] {
			h(make_error(boost::system::errc::invalid_argument, lt::operation_t::file_write));
		});
		return;
	}

	Piece& p = get(storage, r.piece);
	auto const now = Clock::now();
	if (p.dirty == 0) p.first_dirty = now;
	p.last_use = now;
	forget_block(p, index);  // a block sent twice: the newest wins
	set_block(p, index, block, State::dirty);
	p.hash.reset();
	p.waiting.emplace_back(index, std::move(handler));

	if (p.complete()) {
		p.hash = hash_from_memory(r.piece, p);
		write_out(r.piece, p, out);
		evict(false);
	}
}

void PieceCache::read(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, ReadHandler handler,
	Completions& out)
{
	if (r.start < 0 || r.length <= 0 || r.length > block_size
		|| r.start + r.length > storage->piece_size(r.piece)) {
		out.push_back([h = std::move(handler)] {
			h(lt::disk_buffer_holder(), make_error(boost::system::errc::invalid_argument, lt::operation_t::file_read));
		});
		return;
	}
	if (!try_read(storage, r, handler, out)) m_parked.push_back(ParkedRead{storage, r, std::move(handler)});
}

bool PieceCache::try_read(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r,
	ReadHandler& handler, Completions& out)
{
	int const first = r.start / block_size;
	int const last = (r.start + r.length - 1) / block_size;
	// A chunked piece's pad is not in the cache: it reads as zeros, and a
	// read of the pad alone leaves no piece behind.
	int const held = std::min(last, storage->blocks_in_piece(r.piece) - 1);
	if (first > held) {
		char* zeros = m_pool.try_allocate();
		if (zeros == nullptr) return false;
		std::memset(zeros, 0, std::size_t(r.length));
		out.push_back([h = std::move(handler), zeros, length = r.length, alloc = &m_allocator] {
			h(lt::disk_buffer_holder(*alloc, zeros, length), lt::storage_error());
		});
		return true;
	}
	Piece& p = get(storage, r.piece);
	lt::storage_error error;
	for (int b = first; b <= held && !error; ++b) {
		if (p.state[std::size_t(b)] != State::absent) {
			EngineStats::add(m_stats.cache_hits, 1);
			continue;
		}
		EngineStats::add(m_stats.cache_misses, 1);
		if (!(storage->chunked() ? remake(p, r.piece, error) : read_ahead(p, r.piece, b, error))) {
			forget_if_empty(*storage, r.piece, p);
			return false;
		}
	}
	if (error) {
		forget_if_empty(*storage, r.piece, p);
		out.push_back([h = std::move(handler), error] { h(lt::disk_buffer_holder(), error); });
		return true;
	}
	// Making room for one block may have evicted another of the request.
	for (int b = first; b <= held; ++b)
		if (p.state[std::size_t(b)] == State::absent) return false;

	char* buffer = nullptr;
	if (first == last && first == held && r.start % block_size == 0
		&& r.length == storage->block_length(r.piece, first)) {
		// The common case: one whole block, handed over without a copy.
		buffer = p.blocks[std::size_t(first)];
		m_pool.retain(buffer);
	} else {
		buffer = m_pool.try_allocate();
		if (buffer == nullptr) return false;
		for (int position = r.start; position < r.start + r.length;) {
			int const b = position / block_size;
			int const end = std::min((b + 1) * block_size, r.start + r.length);
			if (b > held)
				std::memset(buffer + (position - r.start), 0, std::size_t(end - position));
			else
				std::memcpy(buffer + (position - r.start), p.blocks[std::size_t(b)] + (position - b * block_size),
					std::size_t(end - position));
			position = end;
		}
	}
	for (int b = first; b <= held; ++b) {
		if (!p.served[std::size_t(b)]) ++p.served_count;
		p.served[std::size_t(b)] = true;
	}
	p.last_use = Clock::now();
	// The holder is made on the network thread: it is move-only, and the
	// completion must be copyable.
	out.push_back([h = std::move(handler), buffer, length = r.length, alloc = &m_allocator] {
		h(lt::disk_buffer_holder(*alloc, buffer, length), lt::storage_error());
	});
	evict(false);
	return true;
}

bool PieceCache::read_ahead(Piece& p, lt::piece_index_t piece, int block, lt::storage_error& error)
{
	// Our own read cache is the first thing to give up for memory.
	char* wanted = m_pool.try_allocate();
	while (wanted == nullptr && evict_one(&p)) wanted = m_pool.try_allocate();
	if (wanted == nullptr) return false;

	// The window of the piece around `block`: its absent blocks are read
	// too, as far as memory allows, with one vectored read per disk run. Half
	// the cache share at most, so that a window never evicts the last one.
	int const window = int(std::clamp<std::int64_t>(cache_share() / 2, block_size, max_read_ahead_bytes) / block_size);
	int const start = block / window * window;
	int const end = std::min(start + window, int(p.blocks.size()));
	std::vector<std::pair<int, char*>> fresh{{block, wanted}};
	for (int b = start; b < end; ++b) {
		if (b == block || p.state[std::size_t(b)] != State::absent) continue;
		char* extra = m_pool.try_allocate();
		if (extra == nullptr) break;
		fresh.emplace_back(b, extra);
	}
	std::sort(fresh.begin(), fresh.end());

	std::vector<char*> run;
	for (std::size_t i = 0; i < fresh.size() && !error;) {
		std::size_t j = i;
		run.assign({fresh[i].second});
		while (j + 1 < fresh.size() && fresh[j + 1].first == fresh[j].first + 1) run.push_back(fresh[++j].second);
		error = p.storage->read_blocks(piece, fresh[i].first, run);
		i = j + 1;
	}
	if (error) {
		for (auto const& [b, buffer] : fresh) m_pool.release(buffer);
		return true;
	}
	for (auto const& [b, buffer] : fresh) set_block(p, b, buffer, State::clean);
	return true;
}

void PieceCache::hash(std::shared_ptr<RawStorage> const& storage, lt::piece_index_t piece, HashHandler handler,
	Completions& out)
{
	auto const it = m_pieces.find(key(*storage, piece));
	Piece* p = it == m_pieces.end() ? nullptr : &it->second;

	// Every block in memory: the hash is of those, and is recorded on the
	// piece, where write_out() of a chunk looks for it (the one place).
	if (p != nullptr && !p->hash && p->complete())
		p->hash = hash_from_memory(piece, *p);

	lt::sha1_hash result;
	lt::storage_error error;
	if (p != nullptr && p->hash) {
		result = *p->hash;
	} else if (storage->chunked()) {
		error = hash_chunk(*storage, piece, result);
	} else {
		// Some blocks are on disk only (written out early, or by an earlier
		// run): read those in runs through a small scratch area.
		auto const start = Clock::now();
		constexpr int scratch_blocks = 64;
		std::vector<char*> scratch;
		lt::hasher h;
		int const blocks = storage->blocks_in_piece(piece);
		for (int b = 0; b < blocks && !error;) {
			if (p != nullptr && p->state[std::size_t(b)] != State::absent) {
				h.update(p->blocks[std::size_t(b)], storage->block_length(piece, b));
				++b;
				continue;
			}
			int n = 0;
			while (b + n < blocks && n < scratch_blocks
				&& (p == nullptr || p->state[std::size_t(b + n)] == State::absent))
				++n;
			while (int(scratch.size()) < n) scratch.push_back(m_pool.allocate());
			error = storage->read_blocks(piece, b, std::span<char* const>(scratch.data(), std::size_t(n)));
			for (int i = 0; i < n && !error; ++i) h.update(scratch[std::size_t(i)], storage->block_length(piece, b + i));
			b += n;
		}
		for (char* s : scratch) m_pool.release(s);
		if (!error) result = h.final();
		EngineStats::add(m_stats.blocks_hashed, blocks);
		EngineStats::add(m_stats.hash_micros, micros_since(start));
	}

	if (p != nullptr) {
		write_out(piece, *p, out);
		p->hash.reset();
		if (p->clean == 0) m_pieces.erase(it);
	}
	out.push_back([h = std::move(handler), piece, result, error] { h(piece, result, error); });
	evict(false);
}

void PieceCache::clear_piece(RawStorage const& storage, lt::piece_index_t piece, Completions& out)
{
	auto const it = m_pieces.find(key(storage, piece));
	if (it == m_pieces.end()) return;
	// Its data failed the hash: write out what waits (harmless, it will be
	// overwritten) and keep none of it.
	write_out(piece, it->second, out);
	drop_clean(it->second);
	m_pieces.erase(it);
}

void PieceCache::flush_storage(RawStorage const& storage, Completions& out, ChunkParts parts)
{
	auto it = m_pieces.lower_bound(Key{storage.id(), 0});
	while (it != m_pieces.end() && it->first.first == storage.id()) {
		Piece& p = it->second;
		if (parts == ChunkParts::keep && storage.chunked() && p.dirty > 0 && !p.complete()) {
			release_waiting(p, {}, out);
			++it;
			continue;
		}
		write_out(lt::piece_index_t{it->first.second}, it->second, out);
		drop_clean(it->second);
		it = m_pieces.erase(it);
	}
	for (auto parked = m_parked.begin(); parked != m_parked.end();) {
		if (parked->storage->id() != storage.id()) {
			++parked;
			continue;
		}
		out.push_back([h = std::move(parked->handler)] {
			h(lt::disk_buffer_holder(), lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read));
		});
		parked = m_parked.erase(parked);
	}
}

void PieceCache::flush_partial(Clock::time_point cutoff, Completions& out)
{
	for (auto& [key, p] : m_pieces) {
		if (p.waiting.empty() || p.first_dirty > cutoff) continue;
		// Part of a chunk cannot be written: its blocks stay until the chunk
		// is complete, and only their handlers are released.
		if (p.storage->chunked())
			release_waiting(p, {}, out);
		else
			write_out(lt::piece_index_t{key.second}, p, out);
	}
	evict(false);
}

void PieceCache::relieve_pressure(Completions& out)
{
	evict(true);
	flush_partial(Clock::now(), out);
	evict(true);
	release_scratch();
	// Parts of chunks are dropped only as a last resort: when they alone
	// hold more than the low watermark, peers would never be let to send
	// the rest. Such a piece fails its hash, and libtorrent bans a peer that
	// sent all of it: dropping them at every backpressure event banned the
	// only seeder of a 1->1 deploy. Everything else drains by itself.
	if (m_pool.waiting_for_peers() <= m_pool.low_watermark()) return;
	for (auto& [key, p] : m_pieces) {
		if (!p.storage->chunked() || p.dirty == 0) continue;
		spdlog::warn("memory budget full: dropping {} blocks of chunk {} held in memory; it is fetched again",
			p.dirty, key.second);
		write_out(lt::piece_index_t{key.second}, p, out);
	}
	evict(true);
}

void PieceCache::retry_parked(Completions& out)
{
	while (!m_parked.empty()) {
		ParkedRead& front = m_parked.front();
		if (!try_read(front.storage, front.request, front.handler, out)) return;
		m_parked.pop_front();
	}
}

void PieceCache::flush_all(Completions& out)
{
	for (auto& [key, p] : m_pieces) {
		write_out(lt::piece_index_t{key.second}, p, out);
		drop_clean(p);
	}
	m_pieces.clear();
	release_scratch();
	for (ParkedRead& parked : m_parked) {
		out.push_back([h = std::move(parked.handler)] {
			h(lt::disk_buffer_holder(), lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read));
		});
	}
	m_parked.clear();
}

std::optional<PieceCache::Clock::time_point> PieceCache::oldest_write() const
{
	std::optional<Clock::time_point> oldest;
	for (auto const& [key, p] : m_pieces)
		if (!p.waiting.empty() && (!oldest || p.first_dirty < *oldest)) oldest = p.first_dirty;
	return oldest;
}

void PieceCache::write_out(lt::piece_index_t piece, Piece& p, Completions& out)
{
	if (p.dirty == 0) return;
	if (p.storage->chunked()) {
		write_out_chunk(piece, p, out);
		return;
	}
	std::vector<BlockRef> refs;
	refs.reserve(std::size_t(p.dirty));
	for (std::size_t b = 0; b < p.blocks.size(); ++b)
		if (p.state[b] == State::dirty) refs.push_back(BlockRef{int(b), p.blocks[b], {}});
	p.storage->write_blocks(piece, refs);

	// Every waiting handler learns the fate of its own block (a block sent
	// twice keeps both handlers; both share the newest copy's fate).
	std::vector<lt::storage_error> errors(p.blocks.size());
	for (BlockRef const& ref : refs) errors[std::size_t(ref.index)] = ref.error;
	release_waiting(p, errors, out);

	// What reached the disk stays as read cache; what did not is dropped,
	// so that nobody is served data the disk does not hold.
	for (BlockRef const& ref : refs) {
		int const b = ref.index;
		char* block = p.blocks[std::size_t(b)];
		if (ref.error) {
			forget_block(p, b);
			continue;
		}
		m_pool.retain(block);
		forget_block(p, b);
		set_block(p, b, block, State::clean);
	}
}

void PieceCache::drop_clean(Piece& p)
{
	if (p.clean == 0) return;
	for (std::size_t b = 0; b < p.blocks.size(); ++b)
		if (p.state[b] == State::clean) forget_block(p, int(b));
}

void PieceCache::evict(bool everything)
{
	if (everything) {
		while (evict_one(nullptr)) {}
		return;
	}
	auto const over = [this] { return m_all_clean_bytes.load(std::memory_order_relaxed) > m_pool.cache_limit(); };
	while (over() && clean_bytes() > cache_share() && evict_one(nullptr)) {}
	if (over() && m_ask_to_trim) m_ask_to_trim();
}

void PieceCache::trim()
{
	while (m_all_clean_bytes.load(std::memory_order_relaxed) > m_pool.cache_limit() && clean_bytes() > cache_share()
		&& evict_one(nullptr)) {}
}

bool PieceCache::evict_one(Piece const* keep)
{
	// Pieces every block of which has been sent go first, then the least
	// recently used.
	auto victim = m_pieces.end();
	for (auto it = m_pieces.begin(); it != m_pieces.end(); ++it) {
		Piece const& p = it->second;
		if (p.clean == 0 || &p == keep) continue;
		if (victim == m_pieces.end()) {
			victim = it;
			continue;
		}
		Piece const& v = victim->second;
		bool const sent = p.served_count == int(p.blocks.size());
		bool const victim_sent = v.served_count == int(v.blocks.size());
		if (sent != victim_sent ? sent : p.last_use < v.last_use) victim = it;
	}
	if (victim == m_pieces.end()) return false;
	Piece& p = victim->second;
	// Blocks a peer has had are the least likely to be asked for again.
	int dropped = 0;
	for (std::size_t b = 0; b < p.blocks.size(); ++b) {
		if (p.state[b] == State::clean && p.served[b]) {
			forget_block(p, int(b));
			++dropped;
		}
	}
	if (dropped == 0) drop_clean(p);
	if (p.dirty == 0 && p.clean == 0 && p.waiting.empty() && !p.hash) m_pieces.erase(victim);
	return true;
}

void PieceCache::forget_if_empty(RawStorage const& storage, lt::piece_index_t piece, Piece const& p)
{
	if (p.dirty == 0 && p.clean == 0 && p.waiting.empty() && !p.hash) m_pieces.erase(key(storage, piece));
}

void PieceCache::release_waiting(Piece& p, std::vector<lt::storage_error> const& errors, Completions& out)
{
	for (auto& [block, handler] : p.waiting) {
		lt::storage_error const error = errors.empty() ? lt::storage_error() : errors[std::size_t(block)];
		out.push_back([h = std::move(handler), error] { h(error); });
	}
	p.waiting.clear();
}

lt::sha1_hash PieceCache::hash_from_memory(lt::piece_index_t piece, Piece const& p) const
{
	auto const start = Clock::now();
	lt::hasher h;
	for (std::size_t b = 0; b < p.blocks.size(); ++b) h.update(p.blocks[b], p.storage->block_length(piece, int(b)));
	chunk::hash_zeros(h, p.storage->pad_after_blocks(piece));  // a chunk's pad
	EngineStats::add(m_stats.blocks_hashed, std::int64_t(p.blocks.size()));
	EngineStats::add(m_stats.hash_micros, micros_since(start));
	return h.final();
}

}  // namespace ezio::storage
