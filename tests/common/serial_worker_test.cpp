#include "common/serial_worker.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ezio {
namespace {

TEST(SerialWorker, RunsTasksInOrderOnItsOwnThread)
{
	std::vector<int> ran;                 // touched only by the worker until it is joined
	std::set<std::thread::id> ran_on;     // likewise
	{
		SerialWorker worker;
		for (int i = 0; i < 100; ++i)
			worker.post([&, i] {
				ran.push_back(i);
				ran_on.insert(std::this_thread::get_id());
			});
	}
	ASSERT_EQ(ran.size(), 100u) << "the destructor runs what was posted";
	for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[std::size_t(i)], i);
	ASSERT_EQ(ran_on.size(), 1u) << "one thread runs them all";
	EXPECT_NE(*ran_on.begin(), std::this_thread::get_id()) << "not the poster's";
}

TEST(SerialWorker, APostingThreadDoesNotWaitForASlowTask)
{
	SerialWorker worker;
	std::promise<void> release;
	std::shared_future<void> const released = release.get_future().share();
	std::atomic<bool> second_ran = false;
	worker.post([released] { released.wait(); });  // an fdatasync that takes long
	worker.post([&] { second_ran = true; });
	// Both posts returned while the first task still blocks.
	EXPECT_FALSE(second_ran.load());
	release.set_value();
}

TEST(SerialWorker, ATaskMayPostTheNextStep)
{
	std::atomic<int> steps = 0;
	{
		SerialWorker worker;
		worker.post([&] {
			++steps;
			worker.post([&] { ++steps; });
		});
	}
	EXPECT_EQ(steps.load(), 2) << "a task posted while stopping runs too";
}

}  // namespace
}  // namespace ezio
