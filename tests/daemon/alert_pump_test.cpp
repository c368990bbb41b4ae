// The alert pump without libtorrent: a wake-up hands a batch to dispatch
// and runs the periodic tasks after it; with nothing to do they still run
// when max_sleep says so; stop ends the thread.
#include "daemon/alert_pump.hpp"

#include <atomic>

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

using namespace std::chrono_literals;

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within = 5s)
{
	auto const deadline = std::chrono::steady_clock::now() + within;
	while (!done()) {
		if (std::chrono::steady_clock::now() > deadline) return false;
		std::this_thread::sleep_for(1ms);
	}
	return true;
}

TEST(AlertPump, AWakeUpDispatchesTheBatchThenRunsThePeriodicTasks)
{
	std::atomic<int> pops{0}, periodic{0};
	std::atomic<bool> order_kept{true};
	AlertPump pump;
	pump.start({
		[&](std::vector<lt::alert*>& alerts) {
			alerts.assign(2, nullptr);
			++pops;
		},
		[&](lt::alert const*) {
			if (periodic.load() >= pops.load()) order_kept = false;  // the batch before its tasks
		},
		[&] { ++periodic; },
		[] { return std::chrono::steady_clock::duration(1h); },  // never on its own within the test
	});
	pump.wake();
	EXPECT_TRUE(eventually([&] { return periodic.load() >= 1; }));
	pump.stop();
	EXPECT_TRUE(order_kept);
	EXPECT_EQ(pops.load(), periodic.load());
}

TEST(AlertPump, ThePeriodicTasksRunWhenMaxSleepEnds)
{
	std::atomic<int> periodic{0};
	AlertPump pump;
	pump.start({
		[](std::vector<lt::alert*>& alerts) { alerts.clear(); },
		[](lt::alert const*) {},
		[&] { ++periodic; },
		[] { return std::chrono::steady_clock::duration(5ms); },
	});
	// Three rounds of 5 ms; the one-second fallback alone would take 3 s.
	EXPECT_TRUE(eventually([&] { return periodic.load() >= 3; }, 1500ms)) << "no wake-up, yet the ramp must move";
	pump.stop();
	int const after_stop = periodic.load();
	std::this_thread::sleep_for(20ms);
	EXPECT_EQ(periodic.load(), after_stop);
	pump.stop();  // idempotent
}

}  // namespace
}  // namespace ezio::daemon
