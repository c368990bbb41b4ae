// Who is in which swarm: the tracker's memory. Peers are kept per torrent,
// keyed by address and port, and forgotten when they say "stopped" or stop
// announcing. Bounded: at most `max_swarms` torrents, `max_peers_per_swarm`
// peers each and `max_peers_per_address` of those from one address, so that
// announces cannot exhaust memory and one host cannot fill a swarm.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <random>

#include "common/mutex.hpp"
#include "tracker/announce.hpp"

namespace ezio::tracker {

class SwarmRegistry {
public:
	using Clock = std::chrono::steady_clock;

	struct Limits {
		std::chrono::seconds peer_timeout{180};  // forget peers silent this long
		std::size_t max_swarms = 10'000;
		std::size_t max_peers_per_swarm = 5'000;
		// A lab PC runs one daemon; a few more leave room for test rigs that
		// run several on one host.
		std::size_t max_peers_per_address = 32;
		// Entries of one address in one answer: one, unless the daemons are
		// told to allow several connections per address (test rigs).
		std::size_t answer_entries_per_address = 1;
	};

	explicit SwarmRegistry(Limits limits) : m_limits(limits) {}

	// Records the announce of the peer at `address` and picks up to
	// `numwant` (at most tracker::peers_per_answer) other peers for it, at random,
	// so that every peer is handed around and the clients' connections form
	// a random graph. Fails when the registry is full.
	//
	// One host cannot own the answers (an attacker announcing 32 ports from
	// each of 4 addresses once got 96 % of them): an address fills at most
	// `answer_entries_per_address` places, and peers that showed progress
	// (a seed, or less left than at their first announce) go first; peers
	// that never did fill the rest, but only one place once half the answer
	// has shown progress.
	Expected<AnnounceReply> announce(Announce const& a, lt::address const& address, Clock::time_point now);

	std::size_t num_swarms() const;
	std::size_t num_peers() const;

private:
	struct Peer {
		std::int64_t left = 0;
		std::int64_t first_left = 0;  // at its first announce
		Clock::time_point last_seen;

		bool progressed() const { return left == 0 || left < first_left; }
	};
	struct Swarm {
		std::map<lt::tcp::endpoint, Peer> peers;
		std::map<lt::address, std::size_t> per_address;  // how many of `peers` each address has

		void add(lt::tcp::endpoint const& endpoint, Peer peer);
		// By value: callers pass keys of `peers`, which the erase frees.
		void erase(lt::tcp::endpoint endpoint);
		bool empty() const { return peers.empty(); }
	};

	void expire(Swarm& swarm, Clock::time_point now) const;
	// Up to `wanted` of `swarm`'s peers for `self` (see announce()).
	std::vector<lt::tcp::endpoint> pick(Swarm const& swarm, lt::tcp::endpoint const& self, bool self_is_seed,
		std::size_t wanted) EZIO_REQUIRES(m_mutex);

	Limits const m_limits;
	mutable Mutex m_mutex;
	std::map<lt::sha1_hash, Swarm> m_swarms EZIO_GUARDED_BY(m_mutex);
	std::mt19937 m_random EZIO_GUARDED_BY(m_mutex){std::random_device{}()};
};

}  // namespace ezio::tracker
