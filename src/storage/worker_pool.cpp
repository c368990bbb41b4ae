#include "storage/worker_pool.hpp"

#include <algorithm>
#include <thread>

#include "common/mutex.hpp"

namespace ezio::storage {

class WorkerPool::Worker {
public:
	Worker(Config const& config, BlockPool& pool, lt::buffer_allocator_interface& allocator, EngineStats& stats,
		CacheLedger& ledger, int index, CompletionQueue& completions, std::function<void(int)> ask_to_trim)
		: m_cache(pool, allocator, stats, ledger, index, std::move(ask_to_trim))
		, m_completions(completions)
		, m_flush_after(config.flush_after)
	{
		m_thread = std::thread([this] { run(); });
	}

	~Worker() { stop(); }

	void post(std::vector<Job>& jobs)
	{
		bool was_empty;
		{
			MutexLock lock(m_mutex);
			was_empty = m_jobs.empty();
			if (was_empty) m_jobs.swap(jobs);
			else std::move(jobs.begin(), jobs.end(), std::back_inserter(m_jobs));
		}
		jobs.clear();
		// A worker with jobs queued is awake or about to be.
		if (was_empty) m_wake.notify_one();
	}

	void stop()
	{
		{
			MutexLock lock(m_mutex);
			m_stopping = true;
		}
		m_wake.notify_one();
		if (m_thread.joinable()) m_thread.join();
	}

private:
	void run()
	{
		Completions done;
		std::vector<Job> jobs;
		for (;;) {
			{
				MutexLock lock(m_mutex);
				// Sleep until there is work, or until the oldest incomplete
				// piece is due to be written out.
				auto const oldest = m_cache.oldest_write();
				while (m_jobs.empty() && !m_stopping) {
					if (!oldest) m_wake.wait(lock);
					else if (!m_wake.wait_until(lock, *oldest + m_flush_after)) break;
				}
				if (m_jobs.empty() && m_stopping) break;
				jobs.swap(m_jobs);
			}
			for (Job& job : jobs) job(m_cache, done);
			jobs.clear();
			m_cache.flush_partial(PieceCache::Clock::now() - m_flush_after, done);
			if (m_cache.num_parked() > 0) m_cache.retry_parked(done);
			m_completions.push(done);
		}
		m_cache.flush_all(done);
		m_completions.push(done);
	}

	PieceCache m_cache;  // touched only by m_thread
	CompletionQueue& m_completions;
	std::chrono::milliseconds const m_flush_after;

	Mutex m_mutex;
	CondVar m_wake;
	std::vector<Job> m_jobs EZIO_GUARDED_BY(m_mutex);
	bool m_stopping EZIO_GUARDED_BY(m_mutex) = false;
	std::thread m_thread;
};

WorkerPool::WorkerPool(Config const& config, BlockPool& pool, lt::buffer_allocator_interface& allocator,
	EngineStats& stats, CompletionQueue& completions)
	: m_ledger(config.threads)
	, m_trim_asked(std::make_unique<std::atomic<bool>[]>(std::size_t(m_ledger.workers())))
{
	m_workers.reserve(std::size_t(m_ledger.workers()));
	for (int i = 0; i < m_ledger.workers(); ++i) {
		m_workers.push_back(std::make_unique<Worker>(config, pool, allocator, stats, m_ledger, i, completions,
			[this](int worker) { ask_to_trim(worker); }));
	}
}

void WorkerPool::ask_to_trim(int worker)
{
	// One request in a worker's queue at a time: every read of a cache over
	// its limit asks again.
	if (m_trim_asked[std::size_t(worker)].exchange(true)) return;
	std::vector<Job> one{[this, worker](PieceCache& cache, Completions&) {
		m_trim_asked[std::size_t(worker)].store(false);
		cache.trim();
	}};
	post(worker, one);
}

WorkerPool::~WorkerPool()
{
	stop();
}

int WorkerPool::worker_for(std::uint64_t storage_id, int piece) const
{
	// Neighbouring pieces go to different workers so they hash in parallel.
	return int((storage_id * 7919 + std::uint64_t(piece)) % m_workers.size());
}

void WorkerPool::post(int worker, std::vector<Job>& jobs)
{
	if (!jobs.empty()) m_workers[std::size_t(worker)]->post(jobs);
}

void WorkerPool::post_all(Job const& job)
{
	for (auto& w : m_workers) {
		std::vector<Job> one{job};
		w->post(one);
	}
}

void WorkerPool::stop()
{
	for (auto& w : m_workers) w->stop();
}

}  // namespace ezio::storage
