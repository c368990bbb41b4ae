#include "swarm/connection_rules.hpp"

#include <gtest/gtest.h>

namespace ezio::swarm {
namespace {

TEST(SilenceRule, ClosesAConnectionThatSaysNothingAfterItsGrace)
{
	SilenceRule rule;
	for (int second = 1; second < SilenceRule::grace_ticks; ++second) EXPECT_FALSE(rule.tick()) << second;
	EXPECT_TRUE(rule.tick());
}

TEST(SilenceRule, KeepsAPeerThatSaidWhatItHasOrWantsForever)
{
	SilenceRule rule;
	EXPECT_FALSE(rule.tick());
	rule.spoke();
	for (int second = 0; second < 100; ++second) EXPECT_FALSE(rule.tick()) << second;
}

}  // namespace
}  // namespace ezio::swarm
