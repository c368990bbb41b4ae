// The engine's threads (--aio-threads): all disk I/O and hashing runs here,
// never on libtorrent's network thread.
//
// Every job of one piece goes to the same worker, in the order it was
// posted, so a write, the hash that follows it and a read of the same block
// see each other's effects without locks. Each worker runs the jobs it has,
// then hands their completions to the network thread as one batch.
//
// Thread-safety: post() and post_all() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/completion_queue.hpp"
#include "storage/piece_cache.hpp"

namespace ezio::storage {

// A job runs on a worker with that worker's cache; it appends what must run
// on the network thread to the completions.
using Job = std::function<void(PieceCache&, Completions&)>;

class WorkerPool {
public:
	// `flush_after`: how long an incomplete piece may wait in memory.
	WorkerPool(int threads, BlockPool& pool, lt::buffer_allocator_interface& allocator,
		CompletionQueue& completions, std::chrono::milliseconds flush_after);
	~WorkerPool();  // stop()
	WorkerPool(WorkerPool const&) = delete;
	WorkerPool& operator=(WorkerPool const&) = delete;

	// Runs `job` on the worker that owns (storage, piece).
	void post(std::uint64_t storage_id, int piece, Job job);

	// Runs a copy of `job` on every worker.
	void post_all(Job const& job);

	int size() const { return int(m_workers.size()); }

	// Runs every queued job, writes out every cached block, and joins the
	// threads. Idempotent.
	void stop();

private:
	class Worker;
	std::vector<std::unique_ptr<Worker>> m_workers;
};

}  // namespace ezio::storage
