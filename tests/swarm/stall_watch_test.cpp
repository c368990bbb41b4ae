#include "swarm/stall_watch.hpp"

#include <gtest/gtest.h>

namespace ezio::swarm {
namespace {

using namespace std::chrono_literals;

TEST(StallWatch, ActsAfterFiveSecondsWithoutDataThenEveryTen)
{
	StallWatch watch;
	StallWatch::Clock::time_point const t0{};
	EXPECT_FALSE(watch.update(true, 100, t0));
	EXPECT_FALSE(watch.update(true, 100, t0 + 4s));
	EXPECT_TRUE(watch.update(true, 100, t0 + 5s));
	EXPECT_FALSE(watch.update(true, 100, t0 + 6s));   // just acted
	EXPECT_FALSE(watch.update(true, 100, t0 + 14s));
	EXPECT_TRUE(watch.update(true, 100, t0 + 15s));   // still stalled: again
}

TEST(StallWatch, DataResetsTheClock)
{
	StallWatch watch;
	StallWatch::Clock::time_point const t0{};
	watch.update(true, 0, t0);
	for (int s = 1; s <= 30; ++s) EXPECT_FALSE(watch.update(true, s * 1000, t0 + std::chrono::seconds(s)));
	EXPECT_FALSE(watch.update(true, 30000, t0 + 34s));
	EXPECT_TRUE(watch.update(true, 30000, t0 + 35s));
}

TEST(StallWatch, NothingWhileNotWantingData)
{
	StallWatch watch;
	StallWatch::Clock::time_point const t0{};
	// Paused, finished or failed for a minute: no action, and the wait
	// starts over when it wants data again.
	for (int s = 0; s <= 60; ++s) EXPECT_FALSE(watch.update(false, 5, t0 + std::chrono::seconds(s)));
	EXPECT_FALSE(watch.update(true, 5, t0 + 61s));
	EXPECT_FALSE(watch.update(true, 5, t0 + 65s));
	EXPECT_TRUE(watch.update(true, 5, t0 + 66s));
}

TEST(StallWatch, ItsLogLineSaysWhoChokesAndWhoHoldsWhatIsWanted)
{
	EXPECT_EQ(describe_peers({}), "no peers");

	// Three peers: two choke it, one of which has pieces it wants; the
	// third has unchoked it but holds nothing it lacks, and wants from it.
	std::vector<lt::peer_info> peers(3);
	for (lt::peer_info& p : peers) p.download_queue_length = 0;  // peer_info leaves it unset
	peers[0].flags = lt::peer_info::remote_choked | lt::peer_info::interesting;
	peers[1].flags = lt::peer_info::remote_choked;
	peers[2].flags = lt::peer_info::remote_interested | lt::peer_info::choked;
	peers[0].download_queue_length = 3;
	EXPECT_EQ(describe_peers(peers),
		"3 peers (2 choke it; it wants pieces from 1, 1 wants pieces from it, 0 of them unchoked; 3 requests out)");

	peers[2].flags = lt::peer_info::remote_interested;  // we serve it
	EXPECT_EQ(describe_peers(peers),
		"3 peers (2 choke it; it wants pieces from 1, 1 wants pieces from it, 1 of them unchoked; 3 requests out)");

	peers.resize(1);
	peers[0].download_queue_length = 1;
	EXPECT_EQ(describe_peers(peers),
		"1 peer (1 chokes it; it wants pieces from 1, 0 want pieces from it, 0 of them unchoked; 1 request out)");
}

}  // namespace
}  // namespace ezio::swarm
