#include "daemon/resume_requests.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = ResumeRequests::Clock;

TEST(ResumeRequests, OneSaveAtATimeAndTheWishesMeanwhileBecomeOne)
{
	Clock::time_point const t0{};
	ResumeRequests r(t0);
	EXPECT_TRUE(r.want(false));  // ask libtorrent
	EXPECT_FALSE(r.in_flight_durable());
	EXPECT_FALSE(r.want(false));  // waits
	EXPECT_FALSE(r.want(true));   // waits, and makes the next one durable
	EXPECT_FALSE(r.want(false));
	EXPECT_TRUE(r.durable_pending());
	EXPECT_EQ(r.done(t0 + 1s), std::optional<bool>(true));  // one save for the three wishes, durable
	EXPECT_TRUE(r.want(true));
	EXPECT_TRUE(r.in_flight_durable());
	EXPECT_EQ(r.done(t0 + 2s), std::nullopt);  // nothing waited
	EXPECT_FALSE(r.durable_pending());
	EXPECT_TRUE(r.want(false));  // and the next wish is asked at once
}

TEST(ResumeRequests, ADurableRecordEveryThirtySecondsWhileNonePends)
{
	Clock::time_point const t0{};
	ResumeRequests r(t0);
	EXPECT_FALSE(r.periodic_due(t0 + 30s));
	EXPECT_TRUE(r.periodic_due(t0 + 31s));
	ASSERT_TRUE(r.want(true));
	EXPECT_FALSE(r.periodic_due(t0 + 40s));  // one is being made
	EXPECT_EQ(r.done(t0 + 40s), std::nullopt);
	EXPECT_FALSE(r.periodic_due(t0 + 70s));  // counted from the durable record
	EXPECT_TRUE(r.periodic_due(t0 + 71s));
	// A volatile save does not restart the period.
	ASSERT_TRUE(r.want(false));
	EXPECT_EQ(r.done(t0 + 72s), std::nullopt);
	EXPECT_TRUE(r.periodic_due(t0 + 72s));
}

}  // namespace
}  // namespace ezio::daemon
