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
	CacheLedger& ledger, int worker, std::function<void(int)> ask_to_trim)
	: m_pool(pool)
	, m_allocator(allocator)
	, m_stats(stats)
	, m_ledger(ledger)
	, m_worker(worker)
	, m_ask_to_trim(std::move(ask_to_trim))
{}

std::int64_t PieceCache::cache_share() const
{
	return m_pool.cache_limit() / m_ledger.workers();
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
		if (!p.storage->writes_partial_pieces()) m_pool.add_waiting_for_peers(block_size);
	} else {
		++p.clean;
		++m_clean_blocks;
		m_ledger.add_clean_bytes(block_size);
	}
}

void PieceCache::forget_block(Piece& p, int index)
{
	State& state = p.state[std::size_t(index)];
	if (state == State::absent) return;
	if (state == State::dirty) {
		--p.dirty;
		if (!p.storage->writes_partial_pieces()) m_pool.add_waiting_for_peers(-block_size);
	} else {
		--p.clean;
		--m_clean_blocks;
		m_ledger.add_clean_bytes(-block_size);
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
	p.received = true;
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
		if (!fill(p, r.piece, b, error)) {
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

bool PieceCache::fill(Piece& p, lt::piece_index_t piece, int block, lt::storage_error& error)
{
	// Half the cache share at most, so that a window never evicts the last one.
	int const window = int(std::clamp<std::int64_t>(cache_share() / 2, block_size, max_read_ahead_bytes) / block_size);
	FillRange const range = p.storage->fill_range(piece, block, window);
	// Memory first, our own read cache the first thing to give up for it:
	// every absent block of a whole range, else `block` and as many of the
	// others as there is memory for.
	std::vector<std::pair<int, char*>> fresh;
	auto const give_back = [&] {
		for (auto const& [b, buffer] : fresh) m_pool.release(buffer);
	};
	auto const take = [&](int b, bool must) {
		char* buffer = m_pool.try_allocate();
		while (buffer == nullptr && must && evict_one(&p)) buffer = m_pool.try_allocate();
		if (buffer != nullptr) fresh.emplace_back(b, buffer);
		return buffer != nullptr;
	};
	if (!range.whole && !take(block, true)) return false;
	for (int b = range.first; b < range.end; ++b) {
		if ((!range.whole && b == block) || p.state[std::size_t(b)] != State::absent) continue;
		if (take(b, range.whole)) continue;
		if (!range.whole) break;
		give_back();
		return false;
	}
	std::sort(fresh.begin(), fresh.end());
	error = p.storage->load(piece, fresh, m_scratch, m_stats);
	charge_scratch();  // may give the scratch back: it is not used after this
	if (error) {
		give_back();
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
	// piece, where a layout that writes only whole pieces checks it (the
	// one place).
	if (p != nullptr && !p->hash && p->complete())
		p->hash = hash_from_memory(piece, *p);

	lt::sha1_hash result;
	lt::storage_error error;
	if (p != nullptr && p->hash) {
		result = *p->hash;
	} else {
		// Some blocks are on the target only (written out early, or by an
		// earlier run): the layout hashes them there.
		std::vector<char const*> in_memory(std::size_t(storage->blocks_in_piece(piece)), nullptr);
		if (p != nullptr)
			for (std::size_t b = 0; b < in_memory.size(); ++b)
				if (p->state[b] != State::absent) in_memory[b] = p->blocks[b];
		error = storage->hash_on_target(piece, in_memory, m_scratch, result, m_stats);
		charge_scratch();
	}

	if (p != nullptr) {
		write_out(piece, *p, out);
		p->hash.reset();
		if (p->clean == 0) m_pieces.erase(it);
	}
	out.push_back([h = std::move(handler), piece, result, error] { h(piece, result, error); });
	evict(false);
}

void PieceCache::retry_parked(Completions& out)
{
	while (!m_parked.empty()) {
		ParkedRead& front = m_parked.front();
		if (!try_read(front.storage, front.request, front.handler, out)) return;
		m_parked.pop_front();
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
	if (!everything) return trim();
	while (evict_one(nullptr)) {}
	publish_rank();
}

void PieceCache::trim()
{
	while (m_ledger.clean_bytes() > m_pool.cache_limit()) {
		auto const victim = first_victim(nullptr);
		CacheLedger::Rank const mine = victim == m_pieces.end() ? CacheLedger::none : rank(victim->second);
		auto const [other, theirs] = m_ledger.lowest_other(m_worker);
		if (theirs < mine) {
			// Another worker holds what should go first: it evicts.
			m_ledger.publish(m_worker, mine);
			if (m_ask_to_trim) m_ask_to_trim(other);
			return;
		}
		if (victim == m_pieces.end()) break;
		evict_piece(victim);
	}
	publish_rank();
}

CacheLedger::Rank PieceCache::rank(Piece const& p)
{
	// A piece read from the target and sent in full goes before any that is
	// not, however recent; one received from peers goes by recency.
	constexpr CacheLedger::Rank sent_first = std::chrono::nanoseconds(std::chrono::hours(24)).count();
	CacheLedger::Rank const used =
		std::chrono::duration_cast<std::chrono::nanoseconds>(p.last_use.time_since_epoch()).count();
	return p.served_count == int(p.blocks.size()) && !p.received ? used - sent_first : used;
}

void PieceCache::publish_rank()
{
	auto const victim = first_victim(nullptr);
	m_ledger.publish(m_worker, victim == m_pieces.end() ? CacheLedger::none : rank(victim->second));
}

PieceCache::Pieces::iterator PieceCache::first_victim(Piece const* keep)
{
	auto victim = m_pieces.end();
	CacheLedger::Rank lowest = CacheLedger::none;
	for (auto it = m_pieces.begin(); it != m_pieces.end(); ++it) {
		Piece const& p = it->second;
		if (p.clean == 0 || &p == keep) continue;
		CacheLedger::Rank const r = rank(p);
		if (victim == m_pieces.end() || r < lowest) {
			victim = it;
			lowest = r;
		}
	}
	return victim;
}

bool PieceCache::evict_one(Piece const* keep)
{
	auto const victim = first_victim(keep);
	if (victim == m_pieces.end()) return false;
	evict_piece(victim);
	return true;
}

void PieceCache::evict_piece(Pieces::iterator victim)
{
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
	if (p.unused()) m_pieces.erase(victim);
}

void PieceCache::forget_if_empty(RawStorage const& storage, lt::piece_index_t piece, Piece const& p)
{
	if (p.unused()) m_pieces.erase(key(storage, piece));
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
