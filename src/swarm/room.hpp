// Room for newcomers: which connection a client at its limit gives up so
// that a peer with few connections gets in (docs/architecture.md, "The
// peer rules"). Pure: the libtorrent side (connection_rules.cpp) describes each
// connection as a PeerView and carries out the verdict.
//
// Under Clonezilla's limits (6 connections) the clients that boot first
// fill each other's slots; one that boots later, or that the tracker lists
// last, finds every peer full and sits on two or three connections while
// the rest share the image among six. EZIO peers tell each other how many
// connections they hold (the extension handshake, then a message when the
// count changes). A client at its limit still takes a newcomer into one
// spare slot for a moment; when the newcomer holds fewer than
// needy_below() connections (or is the seed it lacks), the client keeps it
// and closes the connection it misses least: one whose peer holds the most
// connections, and keeps enough after losing this one. Otherwise the
// newcomer goes, as libtorrent's own limit would have refused it.
//
// Bounded against liars: a peer that claims to have no connections is let
// in at most max_room_admissions() times at once per torrent, and a
// connection younger than min_victim_age (min_guest_age for one the rule
// let in) is never the one closed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace ezio::swarm {

// One connection as the rule sees it.
struct PeerView {
	// How many connections the peer holds for this torrent besides this
	// one (from the count it reported); nullopt when it did not say (not
	// EZIO, or not yet).
	std::optional<int> others;
	bool seed = false;  // it has every piece
	bool let_in_for_room = false;  // admitted by this rule, still short of peers
	bool guest = false;  // admitted by this rule, however many peers it holds now
	int age_s = 0;  // seconds since it connected
	std::int64_t gives_bytes_per_s = 0;  // payload it sends us
	int pieces = 0;  // pieces it has
};

class Room {
public:
	// Seconds a connection must be old to be closed for room: as old as a
	// connection must be to count in a peer count (docs/format.md, "Peer
	// counts"). It was 10: when a lab boots at once every connection is
	// younger than that, and a client the others' slots left with 2 peers
	// waited 10.4-10.5 s for room in 2 of 5 N=8 runs, passing on little of
	// what the seeder gave it.
	static constexpr int min_victim_age = 3;
	// Seconds a connection let in for room is kept whatever it holds now.
	// When a late client calls a full lab, several peers close the same
	// best-connected peer for it at once; that peer calls back holding no
	// settled connection, and at min_victim_age its calls closed the late
	// client's new connections (seen in CI: the late client held 1 peer
	// 5-8 s after it joined, having held 5).
	static constexpr int min_guest_age = 10;

	// `limit`: the torrent's connection limit (AddTorrent). Below 3 the
	// rule is off (needy_below() is 0): there is no room to share.
	explicit Room(int limit) : m_limit(limit) {}

	int limit() const { return m_limit; }
	// A peer with fewer connections than this is short of peers: 4 under
	// Clonezilla's 6, never more than limit - 2.
	int needy_below() const;
	// At most this many connections admitted by the rule at once.
	int max_room_admissions() const;
	// Whether this peer is one the rule makes room for, for a torrent that
	// has (`we_seed`) or lacks every piece and holds `seeds_held` seeds.
	bool wants_room(PeerView const& newcomer, bool we_seed, int seeds_held) const;

	struct Verdict {
		bool keep_newcomer = false;
		std::optional<std::size_t> close;  // index into `held`
	};
	// A newcomer finished its handshakes while the torrent holds `held`
	// (the newcomer not among them). Below the limit it stays; at it, the
	// rule above decides.
	Verdict admit(PeerView const& newcomer, std::vector<PeerView> const& held, bool we_seed) const;

private:
	int m_limit;
};

}  // namespace ezio::swarm
