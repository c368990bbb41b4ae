#include "storage/worker_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace ezio::storage {

class WorkerPool::Worker {
public:
	Worker(BlockPool& pool, lt::buffer_allocator_interface& allocator, CompletionQueue& completions,
		std::chrono::milliseconds flush_after)
		: m_cache(pool, allocator), m_completions(completions), m_flush_after(flush_after)
	{
		m_thread = std::thread([this] { run(); });
	}

	~Worker() { stop(); }

	void post(Job job)
	{
		{
			std::lock_guard<std::mutex> lock(m_mutex);
			m_jobs.push_back(std::move(job));
		}
		m_wake.notify_one();
	}

	void stop()
	{
		{
			std::lock_guard<std::mutex> lock(m_mutex);
			m_stopping = true;
		}
		m_wake.notify_one();
		if (m_thread.joinable()) m_thread.join();
	}

private:
	void run()
	{
		Completions done;
		std::deque<Job> jobs;
		for (;;) {
			{
				std::unique_lock<std::mutex> lock(m_mutex);
				// Sleep until there is work, or until the oldest incomplete
				// piece is due to be written out.
				auto const oldest = m_cache.oldest_write();
				auto const ready = [&] { return !m_jobs.empty() || m_stopping; };
				if (oldest) m_wake.wait_until(lock, *oldest + m_flush_after, ready);
				else m_wake.wait(lock, ready);
				if (m_jobs.empty() && m_stopping) break;
				jobs.swap(m_jobs);
			}
			for (Job& job : jobs) job(m_cache, done);
			jobs.clear();
			m_cache.flush_partial(PieceCache::Clock::now() - m_flush_after, done);
			m_completions.push(done);
		}
		m_cache.flush_all(done);
		m_completions.push(done);
	}

	PieceCache m_cache;  // touched only by m_thread
	CompletionQueue& m_completions;
	std::chrono::milliseconds const m_flush_after;

	std::mutex m_mutex;
	std::condition_variable m_wake;
	std::deque<Job> m_jobs;  // guarded by m_mutex
	bool m_stopping = false;  // guarded by m_mutex
	std::thread m_thread;
};

WorkerPool::WorkerPool(int threads, BlockPool& pool, lt::buffer_allocator_interface& allocator,
	CompletionQueue& completions, std::chrono::milliseconds flush_after)
{
	threads = std::max(1, threads);
	m_workers.reserve(std::size_t(threads));
	for (int i = 0; i < threads; ++i)
		m_workers.push_back(std::make_unique<Worker>(pool, allocator, completions, flush_after));
}

WorkerPool::~WorkerPool()
{
	stop();
}

void WorkerPool::post(std::uint64_t storage_id, int piece, Job job)
{
	// Neighbouring pieces go to different workers so they hash in parallel.
	std::uint64_t const slot = (storage_id * 7919 + std::uint64_t(piece)) % m_workers.size();
	m_workers[slot]->post(std::move(job));
}

void WorkerPool::post_all(Job const& job)
{
	for (auto& w : m_workers) w->post(job);
}

void WorkerPool::stop()
{
	for (auto& w : m_workers) w->stop();
}

}  // namespace ezio::storage
