// The blocks one worker thread holds in memory, piece by piece.
//
// Written blocks stay here until their piece is complete; then the piece is
// hashed from memory and written with one vectored write per disk run, and
// the pieces' write handlers complete. libtorrent asks for a piece's hash as
// soon as every block has been handed to async_write, and may read a block
// back at any time, so both are served from memory for blocks not yet on
// disk. Pieces that stay incomplete are written out when the memory budget
// runs high or after a timeout, so no handler waits forever.
//
// Blocks that are on disk may stay as a read cache: a piece just written is
// what other peers ask for next, and a seeder reads ahead (a window of a
// piece with one vectored read per disk run) when a block is not in memory.
// Cached blocks are handed to libtorrent without a copy. All workers' caches
// together may use BlockPool::cache_limit(); when they use more, the worker
// whose first victim comes first across all of them evicts (CacheLedger).
// Pieces read from the target and sent in full go first (a seeder's
// read-ahead, which its handout sends once), then the least recently used,
// and within a piece the blocks already sent. A piece received from peers
// goes by recency alone, sent in full or not: the swarm asks for it again
// (at N=16 with --cache-size 128, evicting it after its first peer made
// each client make 100-226 chunks again).
//
// When the budget is used up a read waits here ("parked") until memory is
// back; it is never failed for lack of memory.
//
// Thread-safety: none. Each worker owns one PieceCache, and every job of a
// piece goes to the same worker, so a piece's state is never shared.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <libtorrent/disk_buffer_holder.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/peer_request.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/units.hpp>

#include "storage/block_pool.hpp"
#include "storage/cache_ledger.hpp"
#include "storage/engine_stats.hpp"
#include "storage/raw_storage.hpp"

namespace ezio::storage {

// Work to run on libtorrent's network thread once a job is done.
using Completion = std::function<void()>;
using Completions = std::vector<Completion>;

using WriteHandler = std::function<void(lt::storage_error const&)>;
using ReadHandler = std::function<void(lt::disk_buffer_holder, lt::storage_error const&)>;
using HashHandler = std::function<void(lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const&)>;

class PieceCache {
public:
	using Clock = std::chrono::steady_clock;

	// The most one read-ahead covers; less when the cache share is small.
	static constexpr int max_read_ahead_bytes = 4 << 20;

	// Read results are handed to libtorrent as disk_buffer_holders that give
	// their block back through `allocator`. This cache is worker `worker` of
	// those `ledger` counts; `ask_to_trim(w)` makes worker w call trim().
	PieceCache(BlockPool& pool, lt::buffer_allocator_interface& allocator, EngineStats& stats, CacheLedger& ledger,
		int worker = 0, std::function<void(int)> ask_to_trim = {});
	~PieceCache();
	PieceCache(PieceCache const&) = delete;
	PieceCache& operator=(PieceCache const&) = delete;

	// Stores `block` (a pool block; the cache takes over its reference) as
	// the data of request `r`. `handler` completes once the block is on disk.
	void write(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, char* block,
		WriteHandler handler, Completions& out);

	// Reads `r`: from memory where the cache holds it, else with read-ahead.
	// Waits (parked) while the memory budget is used up.
	void read(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, ReadHandler handler,
		Completions& out);

	// SHA-1 of a whole piece, from memory where possible; then writes out what
	// the piece still holds only in memory.
	void hash(std::shared_ptr<RawStorage> const& storage, lt::piece_index_t piece, HashHandler handler,
		Completions& out);

	// Writes out and forgets one piece (after a failed hash or write).
	void clear_piece(RawStorage const& storage, lt::piece_index_t piece, Completions& out);

	// What becomes of blocks a layout holds because their piece is not whole
	// (RawStorage::writes_partial_pieces): with `keep` their handlers
	// complete and the blocks stay until the piece is whole (libtorrent
	// counts them as written from then on: dropping them at a sync failed
	// the piece and got the honest peer that sent it banned); with `drop`
	// they are forgotten (the torrent is gone, or memory has run out).
	enum class Held { keep, drop };

	// Writes out and forgets every piece of one torrent; its parked reads
	// fail as aborted.
	void flush_storage(RawStorage const& storage, Completions& out, Held held = Held::keep);

	// Writes out every piece of one torrent (a sync's barrier) and keeps
	// what is on the target as read cache, and its parked reads waiting.
	// Peers ask for a piece just received next: dropping the cache at
	// every 30 s resume record made each client make some 80 chunks
	// again to serve them, at the torrent's zstd level.
	void write_storage(RawStorage const& storage, Completions& out);

	// Writes out the incomplete pieces first written to before `cutoff`.
	void flush_partial(Clock::time_point cutoff, Completions& out);

	// Gives memory back: drops the read cache, writes out incomplete pieces.
	void relieve_pressure(Completions& out);

	// Serves parked reads for which there is memory again.
	void retry_parked(Completions& out);

	// While all caches together are over their limit: evicts if this
	// worker holds the first victim, else asks the worker that does.
	void trim();

	// Writes out everything and forgets it; parked reads fail as aborted.
	void flush_all(Completions& out);

	// The oldest first write among pieces with blocks not yet on disk.
	std::optional<Clock::time_point> oldest_write() const;

	std::size_t num_pieces() const { return m_pieces.size(); }
	std::size_t num_parked() const { return m_parked.size(); }
	// Bytes this worker keeps only to serve reads.
	std::int64_t clean_bytes() const { return m_clean_blocks * BlockPool::block_size; }

private:
	enum class State : std::uint8_t { absent, dirty, clean };

	struct Piece {
		std::shared_ptr<RawStorage> storage;
		std::vector<char*> blocks;    // by block index; nullptr when absent
		std::vector<State> state;
		std::vector<bool> served;     // handed to a peer at least once
		int dirty = 0;
		int clean = 0;
		int served_count = 0;
		bool received = false;  // blocks of it came from peers (written here)
		// Writes to complete when their block is on disk: (block, handler).
		std::vector<std::pair<int, WriteHandler>> waiting;
		Clock::time_point first_dirty;
		Clock::time_point last_use;
		// SHA-1 of the complete piece, taken from memory just before it was
		// written out; kept for the async_hash that follows.
		std::optional<lt::sha1_hash> hash;

		// Every block of the piece is in memory.
		bool complete() const { return dirty + clean == int(blocks.size()); }
		// It holds nothing and nothing waits on it: its entry can go.
		bool unused() const { return dirty == 0 && clean == 0 && waiting.empty() && !hash; }
	};
	using Key = std::pair<std::uint64_t, int>;  // (storage id, piece)
	using Pieces = std::map<Key, Piece>;

	struct ParkedRead {
		std::shared_ptr<RawStorage> storage;
		lt::peer_request request;
		ReadHandler handler;
	};

	static Key key(RawStorage const& storage, lt::piece_index_t piece)
	{
		return {storage.id(), static_cast<int>(piece)};
	}

	Piece& get(std::shared_ptr<RawStorage> const& storage, lt::piece_index_t piece);

	// Serves `r` if memory allows; returns false (handler untouched) if not.
	bool try_read(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, ReadHandler& handler,
		Completions& out);

	// Reads the absent blocks the layout fills for a read of `block`
	// (RawStorage::fill_range). Returns false if there is no memory for them
	// now (then nothing changed).
	bool fill(Piece& p, lt::piece_index_t piece, int block, lt::storage_error& error);

	// Writes every dirty block of the piece and completes their handlers;
	// what was written stays as clean cache, what failed is forgotten, and
	// what the layout holds is kept or dropped as `held` says.
	void write_out(lt::piece_index_t piece, Piece& p, Completions& out, Held held = Held::drop);
	// Completes the piece's waiting write handlers, each with the error of
	// its block in `errors` (none if `errors` is empty).
	void release_waiting(Piece& p, std::vector<lt::storage_error> const& errors, Completions& out);

	// Forgets `p` if it holds nothing: no block, no handler, no hash.
	void forget_if_empty(RawStorage const& storage, lt::piece_index_t piece, Piece const& p);
	// The scratch, with what it grew to counted against the budget.
	void charge_scratch();
	// Gives the scratch back (memory pressure, destruction).
	void release_scratch();

	// Drops the piece's clean blocks (the cache's references).
	void drop_clean(Piece& p);

	// Evicts clean pieces until the read cache is within its limit (trim())
	// or, with `everything`, all of them.
	void evict(bool everything);
	// The piece with clean blocks, other than `keep`, to evict first (sent
	// pieces first, then the least recently used); end() if none.
	Pieces::iterator first_victim(Piece const* keep);
	// Evicts clean blocks of one piece other than `keep` (those already sent,
	// or all); false if there was none.
	bool evict_one(Piece const* keep);
	// Evicts clean blocks of `victim` (those already sent, or all), and
	// forgets it if nothing is left.
	void evict_piece(Pieces::iterator victim);
	// Where `p` stands in the eviction order of all workers.
	static CacheLedger::Rank rank(Piece const& p);
	// Tells the ledger where this worker's first victim stands.
	void publish_rank();

	// An equal share of the read cache, in bytes: what a read-ahead sizes
	// itself by.
	std::int64_t cache_share() const;

	lt::sha1_hash hash_from_memory(lt::piece_index_t piece, Piece const& p) const;

	void set_block(Piece& p, int index, char* block, State state);
	void forget_block(Piece& p, int index);

	BlockPool& m_pool;
	lt::buffer_allocator_interface& m_allocator;
	EngineStats& m_stats;
	CacheLedger& m_ledger;
	int const m_worker;
	std::function<void(int)> m_ask_to_trim;
	std::int64_t m_clean_blocks = 0;
	Pieces m_pieces;
	std::deque<ParkedRead> m_parked;
	Scratch m_scratch;  // what the layouts decode, make and read into
	std::int64_t m_scratch_charged = 0;  // of m_scratch, counted in m_pool
};

}  // namespace ezio::storage
