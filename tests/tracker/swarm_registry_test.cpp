#include "tracker/swarm_registry.hpp"

#include <set>

#include <gtest/gtest.h>

namespace ezio::tracker {
namespace {

using namespace std::chrono_literals;

Announce announce(char hash, std::uint16_t port, std::int64_t left, Event event = Event::none)
{
	Announce a;
	a.info_hash = lt::sha1_hash(std::string(20, hash).data());
	a.peer_id = std::string(20, 'p');
	a.port = port;
	a.left = left;
	a.event = event;
	return a;
}

lt::address const host = lt::make_address("10.0.0.1");
auto const t0 = SwarmRegistry::Clock::time_point{} + 1000s;

// A test rig: many daemons on one address (--allow-multiple-connections-per-ip).
SwarmRegistry::Limits one_host()
{
	SwarmRegistry::Limits limits;
	limits.max_peers_per_address = 1000;
	limits.answer_entries_per_address = std::size_t(peers_per_answer);
	return limits;
}

TEST(SwarmRegistry, HandsEachPeerTheOthersButNotItself)
{
	SwarmRegistry registry(one_host());
	EXPECT_TRUE(registry.announce(announce('a', 1, 0), host, t0)->peers.empty());
	for (std::uint16_t port = 2; port <= 5; ++port) registry.announce(announce('a', port, 100), host, t0);
	auto const reply = registry.announce(announce('a', 3, 100), host, t0);
	ASSERT_TRUE(reply);
	EXPECT_EQ(reply->complete, 1);
	EXPECT_EQ(reply->incomplete, 4);
	std::set<int> ports;
	for (auto const& p : reply->peers) ports.insert(p.port());
	EXPECT_EQ(ports, (std::set<int>{1, 2, 4, 5}));
}

TEST(SwarmRegistry, SeedsAreNotGivenOtherSeeds)
{
	SwarmRegistry registry({});
	registry.announce(announce('a', 1, 0), host, t0);
	registry.announce(announce('a', 2, 50), host, t0);
	auto const reply = registry.announce(announce('a', 3, 0), host, t0);
	ASSERT_EQ(reply->peers.size(), 1u);
	EXPECT_EQ(reply->peers[0].port(), 2);
}

TEST(SwarmRegistry, SwarmsAreSeparate)
{
	SwarmRegistry registry({});
	registry.announce(announce('a', 1, 10), host, t0);
	EXPECT_TRUE(registry.announce(announce('b', 2, 10), host, t0)->peers.empty());
	EXPECT_EQ(registry.num_swarms(), 2u);
}

TEST(SwarmRegistry, StoppedAndSilentPeersAreForgotten)
{
	SwarmRegistry::Limits limits;
	limits.peer_timeout = 60s;
	SwarmRegistry registry(limits);
	registry.announce(announce('a', 1, 10), host, t0);
	registry.announce(announce('a', 2, 10), host, t0);
	registry.announce(announce('a', 2, 10, Event::stopped), host, t0);
	EXPECT_EQ(registry.num_peers(), 1u);
	// Peer 1 goes silent; a minute later it is no longer handed out.
	EXPECT_TRUE(registry.announce(announce('a', 3, 10), host, t0 + 61s)->peers.empty());
	registry.announce(announce('a', 3, 10, Event::stopped), host, t0 + 62s);
	EXPECT_EQ(registry.num_swarms(), 0u);
}

TEST(SwarmRegistry, NumwantLimitsTheListAndEveryoneIsHandedOut)
{
	SwarmRegistry registry(one_host());  // a hundred daemons on one test host
	for (std::uint16_t port = 1; port <= 100; ++port) registry.announce(announce('a', port, 10), host, t0);
	std::set<int> seen;
	for (int i = 0; i < 100; ++i) {
		auto a = announce('a', 1000, 10);
		a.numwant = 5;
		auto const reply = registry.announce(a, host, t0);
		ASSERT_EQ(reply->peers.size(), 5u);
		for (auto const& p : reply->peers) seen.insert(p.port());
	}
	EXPECT_GT(seen.size(), 90u) << "the same few peers are handed out again and again";
}

// Every peer known makes libtorrent pick its connections by a hash of the
// addresses (BEP 40): at 16 clients with 6 slots that split the swarm in
// two clusters, the same in every run. A few peers drawn at random per
// answer make the connections a random graph instead.
TEST(SwarmRegistry, AnAnswerHoldsAFewPeersDrawnAtRandom)
{
	SwarmRegistry registry(one_host());
	for (std::uint16_t port = 1; port <= 16; ++port) registry.announce(announce('a', port, 10), host, t0);
	std::set<int> seen;
	for (int i = 0; i < 50; ++i) {
		auto a = announce('a', 1000, 10);
		a.numwant = 200;  // libtorrent's default
		auto const reply = registry.announce(a, host, t0);
		ASSERT_EQ(reply->peers.size(), std::size_t(peers_per_answer)) << "all 16 would let the addresses decide";
		for (auto const& p : reply->peers) seen.insert(p.port());
	}
	EXPECT_EQ(seen.size(), 16u) << "some peers are never handed out";
}

TEST(SwarmRegistry, IsBounded)
{
	SwarmRegistry::Limits limits;
	limits.max_swarms = 2;
	limits.max_peers_per_swarm = 3;
	SwarmRegistry registry(limits);
	for (std::uint16_t port = 1; port <= 3; ++port) EXPECT_TRUE(registry.announce(announce('a', port, 1), host, t0));
	EXPECT_FALSE(registry.announce(announce('a', 4, 1), host, t0));
	EXPECT_TRUE(registry.announce(announce('a', 3, 0), host, t0)) << "a known peer may always announce";
	EXPECT_TRUE(registry.announce(announce('b', 1, 1), host, t0));
	EXPECT_FALSE(registry.announce(announce('c', 1, 1), host, t0));
	// Once a swarm's peers went silent, its place is free again.
	EXPECT_TRUE(registry.announce(announce('c', 1, 1), host, t0 + 1h));
}

// One host cannot fill a swarm (an attacker once took all 5,000 places of
// a healthy swarm from one address in 1.2 s, and new clients were refused).
TEST(SwarmRegistry, OneAddressHoldsOnlyItsShareOfASwarm)
{
	SwarmRegistry::Limits limits;
	limits.max_peers_per_address = 4;
	SwarmRegistry registry(limits);
	lt::address const attacker = lt::make_address("10.0.0.66");
	int refused = 0;
	for (std::uint16_t port = 1; port <= 100; ++port)
		if (!registry.announce(announce('a', port, 10), attacker, t0)) ++refused;
	EXPECT_EQ(refused, 96);
	EXPECT_TRUE(registry.announce(announce('a', 2, 10), attacker, t0)) << "a known peer may always announce";
	EXPECT_TRUE(registry.announce(announce('a', 1, 10), host, t0)) << "another host still gets in";
	EXPECT_TRUE(registry.announce(announce('b', 1, 10), attacker, t0)) << "the limit is per torrent";
	// Places free up when the attacker's peers stop or go silent.
	registry.announce(announce('a', 1, 10, Event::stopped), attacker, t0);
	EXPECT_TRUE(registry.announce(announce('a', 50, 10), attacker, t0));
	EXPECT_TRUE(registry.announce(announce('a', 51, 10), attacker, t0 + 1h));
	EXPECT_EQ(registry.num_peers(), 2u);
}

lt::address lab_pc(int n)
{
	return lt::make_address("10.0.0." + std::to_string(n));
}

// The attack of the second hardening review: 4 real clients and a seeder,
// and one LAN host announcing 32 ports from each of 4 addresses. A fresh
// client got 153 of 160 peers (96 %) from the attacker.
TEST(SwarmRegistry, OneHostCannotOwnTheAnswers)
{
	SwarmRegistry registry({});
	std::int64_t const size = 1000;
	registry.announce(announce('a', 6881, 0), lab_pc(1), t0);  // the seeder
	for (int pc = 2; pc <= 5; ++pc) registry.announce(announce('a', 6881, size), lab_pc(pc), t0);
	for (int address = 0; address < 4; ++address)
		for (std::uint16_t port = 1; port <= 32; ++port)
			registry.announce(announce('a', port, size), lt::make_address("10.0.9." + std::to_string(address)), t0);
	// The real clients make progress; the attacker's ports never do.
	for (int pc = 2; pc <= 5; ++pc) registry.announce(announce('a', 6881, size / 2), lab_pc(pc), t0 + 30s);

	int real = 0;
	int handed = 0;
	for (int i = 0; i < 20; ++i) {
		auto const reply = registry.announce(announce('a', 6881, size), lab_pc(100), t0 + 31s);
		ASSERT_TRUE(reply);
		std::set<lt::address> addresses;
		for (auto const& p : reply->peers) {
			EXPECT_TRUE(addresses.insert(p.address()).second) << "an address twice in one answer";
			real += p.address().to_string().starts_with("10.0.0.");
			++handed;
		}
		EXPECT_EQ(reply->peers.size(), 6u) << "the seeder, 4 clients and one place for a newcomer";
	}
	EXPECT_GE(real * 100, handed * 75) << real << " of " << handed << " handed out are real";

	// At the start nobody has progressed yet, and the newcomers are handed
	// out too, one place per address.
	SwarmRegistry fresh({});
	for (int pc = 1; pc <= 12; ++pc) fresh.announce(announce('b', 6881, size), lab_pc(pc), t0);
	auto const reply = fresh.announce(announce('b', 6881, size), lab_pc(100), t0);
	EXPECT_EQ(reply->peers.size(), std::size_t(peers_per_answer));
}

}  // namespace
}  // namespace ezio::tracker
