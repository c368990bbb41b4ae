#include "daemon/companion_watch.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

using std::chrono::seconds;

TEST(CompanionWatch, AQuietSpellShorterThanTheLimitIsSurvived)
{
	auto const t0 = CompanionWatch::Clock::now();
	CompanionWatch watch(t0);
	EXPECT_FALSE(watch.update(false, 100, 0, t0));
	// The end-of-deployment lull seen at N=32: 30 s of nothing, then data.
	EXPECT_FALSE(watch.update(false, 100, 0, t0 + seconds(30)));
	EXPECT_FALSE(watch.update(false, 200, 50, t0 + seconds(50)));
	EXPECT_FALSE(watch.update(false, 200, 50, t0 + seconds(50) + CompanionWatch::silent_limit - seconds(1)));
	auto const why = watch.update(false, 200, 50, t0 + seconds(50) + CompanionWatch::silent_limit);
	ASSERT_TRUE(why);
	EXPECT_EQ(*why, "no data for 60 s");
}

TEST(CompanionWatch, DataThatCompletesNothingIsGivenUp)
{
	auto const t0 = CompanionWatch::Clock::now();
	CompanionWatch watch(t0);
	std::int64_t received = 0;
	for (int s = 0; s < CompanionWatch::fruitless_limit.count(); ++s)
		EXPECT_FALSE(watch.update(false, received += 1000, 7, t0 + seconds(s))) << s;
	auto const why = watch.update(false, received += 1000, 7, t0 + CompanionWatch::fruitless_limit);
	ASSERT_TRUE(why);
	EXPECT_EQ(*why, "no chunk completed for 120 s while data came");
}

TEST(CompanionWatch, APausedCompanionIsNeverGivenUp)
{
	auto const t0 = CompanionWatch::Clock::now();
	CompanionWatch watch(t0);
	for (int s = 0; s <= 300; s += 10) EXPECT_FALSE(watch.update(true, 0, 0, t0 + seconds(s)));
	// Resumed: the clocks start again from the resume.
	EXPECT_FALSE(watch.update(false, 0, 0, t0 + seconds(310) + CompanionWatch::silent_limit - seconds(11)));
	EXPECT_TRUE(watch.update(false, 0, 0, t0 + seconds(300) + CompanionWatch::silent_limit));
}

}  // namespace
}  // namespace ezio::daemon
