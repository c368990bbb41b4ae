#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "swarm/handout_plugin.hpp"
#include "swarm/probation.hpp"
#include "swarm/room.hpp"

namespace ezio::swarm {

// When a connection is dead weight: a peer that, for `grace_ticks` seconds
// after the handshake, has neither said which pieces it has (a bitfield,
// HAVE, HAVE_ALL or HAVE_NONE) nor asked for ours (INTERESTED). Every
// BitTorrent client with the fast extension (BEP 6) says what it has right
// after the handshake, and one without it either has pieces (a bitfield) or
// wants some; a connection that does neither only holds one of the
// torrent's few slots (Clonezilla asks for 6). A flood of such handshakes
// once kept a seeder's slots full and every client out (docs/security.md).
class SilenceRule {
public:
	static constexpr int grace_ticks = 4;  // one tick a second: 3-4 s

	void spoke() { m_spoke = true; }
	// One second passed; true when the connection should be closed.
	bool tick() { return !m_spoke && ++m_ticks >= grace_ticks; }
	bool has_spoken() const { return m_spoke; }

private:
	bool m_spoke = false;
	int m_ticks = 0;
};

// Upload slots (AddTorrent's max_uploads) are for peers that want data.
// libtorrent unchokes a connection as soon as its handshake is done while
// the torrent has a slot free (to save a round trip in case the peer is
// interested), and takes the slot back only when the peer says
// NOT_INTERESTED or its choker runs (every 15 s). A peer that never says
// anything keeps the slot meanwhile: a flood of silent handshakes held a
// seeder's slots, and an interested client stayed choked for 10-25 s. When
// a choked peer says INTERESTED while every slot is held, the slot of a
// peer that is not interested is freed for it; libtorrent then unchokes the
// newcomer itself (and chokes no one it would not have choked at its next
// round: an uninterested peer holds no slot there). Only a torrent with
// no connection limit has a slot limit (swarm::upload_slots: a companion,
// or AddTorrent's -1); under a connection limit every slot is free.
struct SlotHolder {
	bool unchoked = false;
	bool interested = false;
};
// Which of `peers` (oldest first, the interested newcomer not among them)
// gives up its slot: the oldest unchoked one that is not interested, when
// the unchoked ones fill `max_uploads` (<= 0: unlimited); nullopt when
// there is a slot free, or none to take.
std::optional<std::size_t> upload_slot_to_free(int max_uploads, std::vector<SlotHolder> const& peers);

// A request to close every connection of one torrent, carried out by its
// silent_peers plugin at its next tick (within a second), through each
// connection's own disconnect. It replaces torrent_handle::clear_peers,
// which in libtorrent 2.0.8 frees the peer entries while its connection
// candidate cache, piece picker and smart ban still point at them (fixed
// upstream after 2.0.8, arvidn/libtorrent PRs 7460 and 8874): a client
// that cleared its peers once crashed in libtorrent a minute later at 16
// clients. Requested from any thread, read on the network thread.
class ConnectionReset {
public:
	void request() { m_requests.fetch_add(1, std::memory_order_relaxed); }
	std::uint32_t requests() const { return m_requests.load(std::memory_order_relaxed); }

private:
	std::atomic<std::uint32_t> m_requests{0};
};

// The libtorrent side of the connection rules, for
// add_torrent_params::extensions. Runs on libtorrent's network thread only.
//
// - Silence: each peer plugin closes its connection when SilenceRule says
//   so. A new connection to a torrent at its limit closes the oldest
//   connection that has not spoken yet: a flood of silent handshakes never
//   keeps a client out, however fast it refills the slots.
// - Room (swarm/room.hpp): the torrent's libtorrent limit is one above
//   `room.limit()` (room_slot()); a newcomer that finds `room.limit()`
//   connections waits in that spare slot until its handshakes are done,
//   then Room decides whether it stays and which connection
//   goes (about 2-3 s: judged at the torrent's tick). A connection we open
//   while at the limit is closed as soon as it connects, or at the next
//   tick if it is still connecting: the spare slot is for peers that call
//   us.
// - Slots: a choked peer that says INTERESTED gets the upload slot of an
//   unchoked peer that is not interested (upload_slot_to_free).
// - Counts: each connection tells its peer how many connections the torrent
//   holds (swarm/peer_count.hpp).
// - Reset: `reset` (may be null) closes every connection on request.
//
// `max_uploads`: the torrent's upload slots (<= 0: unlimited). `seed`: the
// torrent starts with every piece (AddTorrent seeding_mode); later states
// come from libtorrent.
// `label` names the torrent in the log line of each room made.
// `probation` (may be null) lists the newcomers in the spare slot until
// they are judged, for the piece handout, which serves them nothing.
TorrentPluginFactory connection_rules_plugin(Room room, int max_uploads, bool seed,
	std::shared_ptr<ConnectionReset> reset = nullptr, std::string label = {},
	std::shared_ptr<Probation> probation = nullptr);

// The connection limit to give libtorrent for a torrent whose limit is
// `limit` (<= 0: none): one more, the spare slot, when the room rule is on.
int room_slot(int limit);

}  // namespace ezio::swarm
