#include "daemon/slow_start.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t mib = 1 << 20;

TEST(SlowStart, RampsByTenMiBPerPeriodAndLiftsAtOneHundred)
{
	SlowStart ramp(10s);
	EXPECT_EQ(ramp.limit_at(0s), 10 * mib);
	EXPECT_EQ(ramp.limit_at(9s), 10 * mib);
	EXPECT_EQ(ramp.limit_at(10s), 20 * mib);
	EXPECT_EQ(ramp.limit_at(85s), 90 * mib);
	EXPECT_EQ(ramp.limit_at(90s), 0);  // 100 MiB/s: unlimited
	EXPECT_EQ(ramp.limit_at(1000s), 0);
}

TEST(SlowStart, SaysWhenTheLimitChangesNext)
{
	SlowStart ramp(5s);
	EXPECT_EQ(ramp.next_change_after(0s), 5s);
	EXPECT_EQ(ramp.next_change_after(7s), 3s);
	EXPECT_EQ(ramp.next_change_after(45s), std::chrono::steady_clock::duration::max());
}

TEST(SlowStart, CombinesWithAUserLimit)
{
	EXPECT_EQ(combine_limits(0, 0), 0);
	EXPECT_EQ(combine_limits(5 * mib, 0), 5 * mib);
	EXPECT_EQ(combine_limits(0, 30 * mib), 30 * mib);
	EXPECT_EQ(combine_limits(50 * mib, 30 * mib), 30 * mib);
}

}  // namespace
}  // namespace ezio::daemon
