// The engine's threads and the way their results come back: jobs of one
// worker run in order on that worker, completions run on the network thread
// in the order they were pushed, and nothing posted is lost at stop.
#include "storage/worker_pool.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/completion_queue.hpp"

namespace ezio::storage {
namespace {

// Runs the io_context's handlers until `done` or a timeout; returns how
// many handlers ran.
int run_until(lt::io_context& ioc, std::function<bool()> const& done)
{
	int handlers = 0;
	for (int i = 0; i < 2000 && !done(); ++i) {
		ioc.restart();
		handlers += int(ioc.poll());
		if (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	return handlers;
}

TEST(CompletionQueue, BatchesPushedBeforeADrainRunTogetherInOrder)
{
	lt::io_context ioc;
	CompletionQueue queue(ioc);
	std::vector<int> ran;
	for (int batch = 0; batch < 3; ++batch) {
		Completions c;
		for (int i = 0; i < 2; ++i) c.push_back([&ran, n = batch * 2 + i] { ran.push_back(n); });
		queue.push(c);
		EXPECT_TRUE(c.empty()) << "push takes the batch";
	}
	EXPECT_TRUE(ran.empty()) << "completions run on the io_context, never inside push";
	EXPECT_EQ(ioc.poll(), 1u) << "one drain for the three batches";
	EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4, 5}));

	Completions empty;
	queue.push(empty);
	ioc.restart();
	EXPECT_EQ(ioc.poll(), 0u) << "an empty batch wakes nobody";
}

TEST(CompletionQueue, ADrainPostedBeforeTheQueueIsGoneStillRuns)
{
	lt::io_context ioc;
	bool ran = false;
	{
		CompletionQueue queue(ioc);
		Completions c;
		c.push_back([&ran] { ran = true; });
		queue.push(c);
	}
	ioc.poll();
	EXPECT_TRUE(ran) << "a handler libtorrent waits for must run exactly once";
}

TEST(CompletionQueue, EveryPusherSeesItsOwnOrderKeptUnderContention)
{
	lt::io_context ioc;
	CompletionQueue queue(ioc);
	constexpr int threads = 4;
	constexpr int per_thread = 2000;
	std::map<int, std::vector<int>> seen;  // touched only by this thread, in handlers
	std::vector<std::thread> pushers;
	for (int t = 0; t < threads; ++t) {
		pushers.emplace_back([&, t] {
			for (int i = 0; i < per_thread; ++i) {
				Completions c;
				c.push_back([&seen, t, i] { seen[t].push_back(i); });
				queue.push(c);
			}
		});
	}
	int total = 0;
	run_until(ioc, [&] {
		total = 0;
		for (auto const& [t, v] : seen) total += int(v.size());
		return total == threads * per_thread;
	});
	for (auto& p : pushers) p.join();
	ioc.restart();
	ioc.poll();
	for (int t = 0; t < threads; ++t) {
		ASSERT_EQ(seen[t].size(), std::size_t(per_thread)) << "pusher " << t;
		for (int i = 0; i < per_thread; ++i) ASSERT_EQ(seen[t][std::size_t(i)], i) << "pusher " << t;
	}
}

class WorkerPoolTest : public ::testing::Test, public lt::buffer_allocator_interface {
protected:
	void free_disk_buffer(char* b) override { m_blocks.release(b); }

	WorkerPool::Config config(int threads) const
	{
		WorkerPool::Config c;
		c.threads = threads;
		c.flush_after = std::chrono::hours(1);
		return c;
	}

	lt::io_context m_ioc;
	CompletionQueue m_completions{m_ioc};
	BlockPool m_blocks{1 << 20, {}};
	EngineStats m_stats;
};

TEST_F(WorkerPoolTest, JobsOfOneWorkerRunInOrderOnThatWorkersThread)
{
	WorkerPool pool(config(3), m_blocks, *this, m_stats, m_completions);
	ASSERT_EQ(pool.size(), 3);
	std::mutex mutex;
	std::map<int, std::vector<int>> order;         // guarded by mutex
	std::map<int, std::set<std::thread::id>> ran_on;  // guarded by mutex
	for (int round = 0; round < 50; ++round) {
		for (int worker = 0; worker < pool.size(); ++worker) {
			std::vector<Job> jobs;
			for (int i = 0; i < 4; ++i)
				jobs.push_back([&, worker, n = round * 4 + i](PieceCache&, Completions&) {
					std::lock_guard<std::mutex> lock(mutex);
					order[worker].push_back(n);
					ran_on[worker].insert(std::this_thread::get_id());
				});
			pool.post(worker, jobs);
			EXPECT_TRUE(jobs.empty()) << "post takes the jobs";
		}
	}
	pool.stop();
	std::set<std::thread::id> threads;
	for (int worker = 0; worker < pool.size(); ++worker) {
		ASSERT_EQ(order[worker].size(), 200u) << "stop runs every job posted before it";
		for (int n = 0; n < 200; ++n) ASSERT_EQ(order[worker][std::size_t(n)], n) << "worker " << worker;
		ASSERT_EQ(ran_on[worker].size(), 1u) << "one thread per worker";
		EXPECT_NE(*ran_on[worker].begin(), std::this_thread::get_id());
		threads.insert(*ran_on[worker].begin());
	}
	EXPECT_EQ(threads.size(), 3u) << "each worker its own thread";
	pool.stop();  // idempotent
}

TEST_F(WorkerPoolTest, PostAllRunsOnEveryWorkerAndCompletionsReachTheNetworkThread)
{
	WorkerPool pool(config(4), m_blocks, *this, m_stats, m_completions);
	std::atomic<int> jobs_run = 0;
	std::vector<std::thread::id> completed_on;  // touched only by this thread, in handlers
	pool.post_all([&](PieceCache&, Completions& out) {
		++jobs_run;
		out.push_back([&completed_on] { completed_on.push_back(std::this_thread::get_id()); });
	});
	run_until(m_ioc, [&] { return completed_on.size() == 4; });
	EXPECT_EQ(jobs_run.load(), 4);
	ASSERT_EQ(completed_on.size(), 4u);
	for (auto const& id : completed_on) EXPECT_EQ(id, std::this_thread::get_id()) << "completions run where the io_context runs";
}

TEST_F(WorkerPoolTest, APieceAlwaysGoesToTheSameWorker)
{
	WorkerPool pool(config(5), m_blocks, *this, m_stats, m_completions);
	std::set<int> used;
	for (std::uint64_t storage = 0; storage < 3; ++storage) {
		for (int piece = 0; piece < 1000; ++piece) {
			int const worker = pool.worker_for(storage, piece);
			ASSERT_GE(worker, 0);
			ASSERT_LT(worker, pool.size());
			ASSERT_EQ(worker, pool.worker_for(storage, piece));
			used.insert(worker);
		}
	}
	EXPECT_EQ(used.size(), 5u) << "the pieces are spread over every worker";
}

}  // namespace
}  // namespace ezio::storage
