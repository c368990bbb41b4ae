// The engine's threads (--aio-threads): all disk I/O and hashing runs here,
// never on libtorrent's network thread.
//
// Every job of one piece goes to the same worker, in the order it was
// posted, so a write, the hash that follows it and a read of the same block
// see each other's effects without locks. Jobs arrive in batches (one lock
// and one wake-up per batch); each worker runs the jobs it has, then hands
// their completions to the network thread as one batch.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "storage/cache_ledger.hpp"
#include "storage/completion_queue.hpp"
#include "storage/piece_cache.hpp"

namespace ezio::storage {

// A job runs on a worker with that worker's cache; it appends what must run
// on the network thread to the completions.
using Job = std::function<void(PieceCache&, Completions&)>;

class WorkerPool {
public:
	struct Config {
		int threads = 16;
		// How long an incomplete piece may wait in memory.
		std::chrono::milliseconds flush_after{3000};
	};

	WorkerPool(Config const& config, BlockPool& pool, lt::buffer_allocator_interface& allocator, EngineStats& stats,
		CompletionQueue& completions);
	~WorkerPool();  // stop()
	WorkerPool(WorkerPool const&) = delete;
	WorkerPool& operator=(WorkerPool const&) = delete;

	// The worker that owns (storage, piece).
	int worker_for(std::uint64_t storage_id, int piece) const;

	// Hands `jobs` (emptied) to worker `worker`, to run in order.
	void post(int worker, std::vector<Job>& jobs);

	// Runs a copy of `job` on every worker.
	void post_all(Job const& job);

	int size() const { return int(m_workers.size()); }

	// Bytes the workers' read caches hold, together.
	std::int64_t clean_bytes() const { return m_ledger.clean_bytes(); }

	// Runs every queued job, writes out every cached block, and joins the
	// threads. Idempotent.
	void stop();

private:
	class Worker;
	// Asks `worker` to trim its cache (PieceCache::trim()).
	void ask_to_trim(int worker);

	CacheLedger m_ledger;  // outlives the workers' caches
	std::unique_ptr<std::atomic<bool>[]> m_trim_asked;  // by worker: a trim() is queued
	std::vector<std::unique_ptr<Worker>> m_workers;
};

}  // namespace ezio::storage
