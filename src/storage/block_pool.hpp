// The engine's one memory budget (--cache-size), and the blocks it hands
// out.
//
// Every buffer the engine holds is a 16 KiB block from this pool: blocks
// written by peers and not yet on disk, blocks kept to serve peers (the
// read cache and read-ahead), scratch space for hashing. Blocks are
// reference counted, so a cached block can be handed to libtorrent to send
// without a copy and stay cached at the same time. Freed blocks are kept
// for reuse: touching fresh memory costs a page fault and a page clear per
// 4 KiB, which showed up as a tenth of the seeder's CPU time.
//
// Two ways to get a block: allocate() for data that has already arrived
// (never refused: the budget is enforced by backpressure instead), and
// try_allocate() for data the engine chooses to read, which fails when the
// budget is used up (reads are throttled, never failed). Use above the high
// watermark makes async_write ask libtorrent to stop reading from peers; the
// disk_observers it hands over are released once use drops below the low
// watermark.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <libtorrent/disk_interface.hpp>
#include <libtorrent/disk_observer.hpp>

#include "common/mutex.hpp"

namespace ezio::storage {

class BlockPool {
public:
	static constexpr int block_size = lt::default_block_size;

	using Observers = std::vector<std::shared_ptr<lt::disk_observer>>;
	// Called, on the thread whose release crossed the low watermark, with
	// the observers to wake.
	using ReleaseFn = std::function<void(Observers)>;

	BlockPool(std::int64_t budget_bytes, ReleaseFn release);
	~BlockPool();
	BlockPool(BlockPool const&) = delete;
	BlockPool& operator=(BlockPool const&) = delete;

	// A block with one reference, whatever the budget says. Returns nullptr
	// only if the system is out of memory.
	char* allocate();

	// A block with one reference, or nullptr if that would go over the
	// budget; then the space callback runs once use has dropped again.
	char* try_allocate();

	// Counts `bytes` of memory held outside blocks (a chunk being decoded or
	// made again) against the budget, in whole blocks, until refund().
	void charge(std::int64_t bytes);
	void refund(std::int64_t bytes);

	// Blocks that only more data from peers can free (parts of chunks,
	// which cannot be written before they are whole), counted by their
	// holders. Above the low watermark, backpressure would wait for them
	// forever.
	void add_waiting_for_peers(std::int64_t bytes) { m_waiting_for_peers.fetch_add(bytes); }
	std::int64_t waiting_for_peers() const { return m_waiting_for_peers.load(); }

	// One more reference to `block`.
	void retain(char* block);
	// One reference less; the last one returns the block to the pool.
	// Accepts nullptr.
	void release(char* block);

	// To be called after allocating for a write. Returns false while use is
	// at or below the high watermark. Otherwise keeps `observer` until use
	// falls to the low watermark and returns true.
	bool exceeded(std::shared_ptr<lt::disk_observer> observer);

	// Runs `callback` (on a releasing thread) when use drops to the high
	// watermark after a try_allocate() was refused.
	void set_space_callback(std::function<void()> callback);

	bool above_high_watermark() const { return bytes_in_use() > high_watermark(); }
	std::int64_t bytes_in_use() const { return m_blocks_in_use.load() * block_size; }
	// The most bytes ever in use at once.
	std::int64_t peak_bytes_in_use() const { return m_peak_blocks.load() * block_size; }
	std::int64_t budget() const { return m_budget.load(); }
	std::int64_t high_watermark() const { return budget() - budget() / 8; }
	std::int64_t low_watermark() const { return budget() / 2; }
	// The part of the budget blocks kept only to serve reads may use; blocks
	// on their way to the disk come first.
	std::int64_t cache_limit() const { return budget() / 2; }

	// Takes effect at once: a larger budget may release waiting observers,
	// a smaller one gives unused memory back.
	void set_budget(std::int64_t bytes);

private:
	// Blocks (or charged bytes) coming into use and going out of it.
	void count_in(std::int64_t blocks);
	void count_out(std::int64_t blocks);
	void maybe_release();
	void maybe_signal_space();
	void give_back(char* block);

	std::atomic<std::int64_t> m_budget;
	std::atomic<std::int64_t> m_blocks_in_use{0};
	std::atomic<std::int64_t> m_peak_blocks{0};
	// Set while observers wait. Paired with m_blocks_in_use so that a release
	// racing with exceeded() cannot leave an observer waiting forever: each
	// side writes its variable before reading the other's.
	std::atomic<std::int64_t> m_waiting_for_peers{0};
	std::atomic<bool> m_exceeded{false};
	std::atomic<bool> m_space_wanted{false};

	Mutex m_mutex;
	Observers m_waiting EZIO_GUARDED_BY(m_mutex);
	std::vector<char*> m_free EZIO_GUARDED_BY(m_mutex);  // blocks to reuse
	std::function<void()> m_space EZIO_GUARDED_BY(m_mutex);
	ReleaseFn m_release;
};

}  // namespace ezio::storage
