// The engine's one memory budget (--cache-size).
//
// Every buffer the engine holds is a 16 KiB block from this pool: blocks
// written by peers and not yet on disk, blocks read for peers, scratch space
// for hashing. Use above the high watermark makes async_write ask libtorrent
// to stop reading from peers (the only write backpressure it has); the
// disk_observers it hands over are released once use drops below the low
// watermark.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <libtorrent/disk_interface.hpp>
#include <libtorrent/disk_observer.hpp>

namespace ezio::storage {

class BlockPool {
public:
	static constexpr int block_size = lt::default_block_size;

	using Observers = std::vector<std::shared_ptr<lt::disk_observer>>;
	// Called, on the thread whose free() crossed the low watermark, with the
	// observers to wake. It must not call back into the pool's locked paths.
	using ReleaseFn = std::function<void(Observers)>;

	BlockPool(std::int64_t budget_bytes, ReleaseFn release);
	BlockPool(BlockPool const&) = delete;
	BlockPool& operator=(BlockPool const&) = delete;

	// Returns a block_size buffer. Never refuses for lack of budget: a block
	// that has arrived must be stored, and the budget is enforced by
	// backpressure instead. Returns nullptr only if the system is out of
	// memory.
	char* allocate();
	void free(char* block);

	// To be called after allocating for a write. Returns false while use is
	// at or below the high watermark. Otherwise keeps `observer` until use
	// falls to the low watermark and returns true.
	bool exceeded(std::shared_ptr<lt::disk_observer> observer);

	bool above_high_watermark() const { return bytes_in_use() > high_watermark(); }
	std::int64_t bytes_in_use() const { return m_blocks_in_use.load() * block_size; }
	std::int64_t budget() const { return m_budget.load(); }
	std::int64_t high_watermark() const { return budget() - budget() / 8; }
	std::int64_t low_watermark() const { return budget() / 2; }

	// Takes effect at once: a larger budget may release waiting observers.
	void set_budget(std::int64_t bytes);

private:
	void maybe_release();

	std::atomic<std::int64_t> m_budget;
	std::atomic<std::int64_t> m_blocks_in_use{0};
	// Set while observers wait. Paired with m_blocks_in_use so that a free()
	// racing with exceeded() cannot leave an observer waiting forever: each
	// side writes its variable before reading the other's.
	std::atomic<bool> m_exceeded{false};
	std::mutex m_mutex;
	Observers m_waiting;  // guarded by m_mutex
	ReleaseFn m_release;
};

}  // namespace ezio::storage
