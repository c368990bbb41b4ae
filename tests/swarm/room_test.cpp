#include "swarm/room.hpp"

#include <gtest/gtest.h>

namespace ezio::swarm {
namespace {

PeerView peer(int others, int age_s = 60)
{
	PeerView p;
	p.others = others;
	p.age_s = age_s;
	return p;
}

// Clonezilla's 6 connections, every one held by a peer with `others`.
std::vector<PeerView> full(int others = 5)
{
	return std::vector<PeerView>(6, peer(others));
}

TEST(Room, UnderClonezillasLimitsAPeerWithFewerThanFourIsShortOfPeers)
{
	Room const room(6);
	EXPECT_EQ(room.needy_below(), 4);
	EXPECT_TRUE(room.wants_room(peer(3), false, 0));
	EXPECT_FALSE(room.wants_room(peer(4), false, 0));
	EXPECT_FALSE(room.wants_room(PeerView{}, false, 0)) << "a peer that said nothing is not let in";
	EXPECT_EQ(Room(2).needy_below(), 0) << "two slots leave no room to share";
	EXPECT_EQ(Room(-1).needy_below(), 0) << "unlimited";
}

TEST(Room, BelowTheLimitEveryNewcomerStays)
{
	auto const verdict = Room(6).admit(peer(5), std::vector<PeerView>(5, peer(5)), false);
	EXPECT_TRUE(verdict.keep_newcomer);
	EXPECT_FALSE(verdict.close);
}

TEST(Room, AtTheLimitAPeerShortOfPeersGetsTheSlotOfTheBestConnectedPeer)
{
	auto held = full(4);
	held[3].others = 5;
	held[4].others = 5;
	held[4].gives_bytes_per_s = 1000;
	auto const verdict = Room(6).admit(peer(2), held, false);
	ASSERT_TRUE(verdict.keep_newcomer);
	ASSERT_TRUE(verdict.close);
	EXPECT_EQ(*verdict.close, 3u) << "the most connections, then the one that gives us least";
}

TEST(Room, AtTheLimitAPeerWithEnoughConnectionsIsRefused)
{
	auto const verdict = Room(6).admit(peer(4), full(), false);
	EXPECT_FALSE(verdict.keep_newcomer);
	EXPECT_FALSE(verdict.close);
}

TEST(Room, NoConnectionIsClosedThatWouldLeaveItsPeerShortOfPeers)
{
	// Each peer holds 3 connections besides ours: closing any leaves it 3.
	auto const verdict = Room(6).admit(peer(0), full(3), false);
	EXPECT_FALSE(verdict.keep_newcomer);
}

TEST(Room, WhenALabBootsAtOnceRoomIsMadeWithinSeconds)
{
	// Every connection is a few seconds old when a client that the others'
	// slots left with 2 peers calls: it is let in now, not 10 s after boot.
	std::vector<PeerView> const held(6, peer(5, 4));
	auto const verdict = Room(6).admit(peer(2, 0), held, false);
	EXPECT_TRUE(verdict.keep_newcomer);
	EXPECT_TRUE(verdict.close);
}

TEST(Room, AClientLetInForRoomKeepsItsSlotForTenSecondsThoughWellConnectedNow)
{
	// The late client was let in 4 s ago and holds 5 peers now, the most
	// of all; a peer that several full peers just closed at once calls
	// back with none settled. The late client's slot is not the one given.
	auto held = full(4);
	held[2] = peer(5, 4);
	held[2].guest = true;
	auto verdict = Room(6).admit(peer(0, 0), held, false);
	ASSERT_TRUE(verdict.close);
	EXPECT_NE(*verdict.close, 2u);
	held[2].age_s = Room::min_guest_age;
	verdict = Room(6).admit(peer(0, 0), held, false);
	ASSERT_TRUE(verdict.close);
	EXPECT_EQ(*verdict.close, 2u) << "after min_guest_age it is a connection like the others";
}

TEST(Room, YoungConnectionsPeersThatSaidNothingAndOurSeedAreKept)
{
	auto held = full();
	for (auto& p : held) p.age_s = Room::min_victim_age - 1;
	held[1].age_s = 60;
	held[1].seed = true;
	held[2].age_s = 60;
	held[2].others.reset();
	EXPECT_FALSE(Room(6).admit(peer(0), held, false).keep_newcomer);
	// A seed has no seed to keep: the client goes.
	auto const verdict = Room(6).admit(peer(0), held, true);
	ASSERT_TRUE(verdict.close);
	EXPECT_EQ(*verdict.close, 1u);
}

TEST(Room, AClientWithoutASeedLetsTheSeedIn)
{
	PeerView seed = peer(5);
	seed.seed = true;
	auto const verdict = Room(6).admit(seed, full(), false);
	EXPECT_TRUE(verdict.keep_newcomer);
	EXPECT_TRUE(verdict.close);
	auto with_seed = full();
	with_seed[0].seed = true;
	EXPECT_FALSE(Room(6).admit(seed, with_seed, false).keep_newcomer);
}

TEST(Room, PeersLetInForRoomAreFewAndNeverMakeRoomThemselves)
{
	auto held = full();
	held[0].let_in_for_room = true;
	held[0].others = 5;
	auto verdict = Room(6).admit(peer(0), held, false);
	ASSERT_TRUE(verdict.close);
	EXPECT_NE(*verdict.close, 0u);
	held[1].let_in_for_room = true;
	verdict = Room(6).admit(peer(0), held, false);
	EXPECT_EQ(Room(6).max_room_admissions(), 2);
	EXPECT_FALSE(verdict.keep_newcomer) << "peers that claim to have no connections take at most 2 of 6 slots";
}

}  // namespace
}  // namespace ezio::swarm
