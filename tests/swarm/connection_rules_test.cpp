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

SlotHolder holder(bool unchoked, bool interested)
{
	return SlotHolder{unchoked, interested};
}

// The handshake flood's case: every slot held by a peer that never asked
// for anything, and a client says INTERESTED.
TEST(UploadSlots, APeerThatWantsDataTakesTheSlotOfTheOldestThatDoesNot)
{
	std::vector<SlotHolder> const peers{
		holder(true, true), holder(false, false), holder(true, false), holder(true, false)};
	EXPECT_EQ(upload_slot_to_free(3, peers), std::size_t(2));
}

TEST(UploadSlots, NobodyGivesUpASlotWhileOneIsFree)
{
	std::vector<SlotHolder> const peers{holder(true, false), holder(true, false), holder(false, false)};
	EXPECT_EQ(upload_slot_to_free(3, peers), std::nullopt);
	EXPECT_EQ(upload_slot_to_free(-1, std::vector<SlotHolder>(8, holder(true, false))), std::nullopt) << "unlimited";
}

TEST(UploadSlots, APeerThatIsServedKeepsItsSlot)
{
	std::vector<SlotHolder> const peers{holder(true, true), holder(true, true), holder(true, true)};
	EXPECT_EQ(upload_slot_to_free(3, peers), std::nullopt) << "libtorrent's choker rotates them, not this rule";
}

}  // namespace
}  // namespace ezio::swarm
