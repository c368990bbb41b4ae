// The peer rules: how a client finds its peers and keeps the ones worth
// having, in one place (docs/architecture.md, "The peer rules"). The daemon
// calls peer_settings() once for the session, and per torrent makes a
// TorrentPeers at AddTorrent and calls it once a second; everything else
// happens inside libtorrent through the plugins it adds:
//
// - Asking: a few peers per tracker answer (peers_per_answer), drawn at
//   random by any tracker, not all of them: libtorrent ranks known peers
//   by a hash of both addresses (BEP 40), which under small limits splits a
//   lab into the same clusters in every run.
// - Calling: a lost peer is called again within seconds (a LAN), and a
//   connect that takes more than 5 s will not succeed.
// - Keeping: a connection that neither side is interested in is closed
//   after 10 s once the torrent is near its limit (libtorrent's
//   inactivity_timeout; its default is ten minutes); one that says nothing
//   at all is closed after 3-4 s (SilenceRule), and a new connection to a
//   full torrent displaces the oldest silent one. A peer that wants data
//   takes the upload slot of one that does not (upload_slot_to_free).
// - Room: a client at its limit lets in a peer that holds few connections
//   (or the seed it lacks) and closes the connection it misses least, so
//   that a client that boots late is not left with two peers (Room; EZIO
//   peers tell each other their counts, swarm/peer_count.hpp).
// - Stalls: a torrent that wants data and got none for 5 s (StallWatch)
//   closes all its connections, asks the tracker at once and calls the
//   peers AddTorrent named again.
// - Trust: the peer that sent a corrupt block is banned alone (smart ban).
// - Seeding: a seed with super-seeding hands each piece out once before
//   any twice (PieceHandout).
// - Slots: under a connection limit every peer that wants data is
//   unchoked (upload_slots).
// - Pipe: a client asks each peer for request_queue_s of data ahead.
//
// Threads: TorrentPeers::once_a_second on the daemon's alert thread only
// (it owns the stall watch); call_again from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/socket.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "swarm/companion_plugin.hpp"
#include "swarm/connection_rules.hpp"
#include "swarm/stall_watch.hpp"

namespace ezio::swarm {

// Peers a client asks a tracker for, and the most the built-in tracker
// hands out in one answer.
inline constexpr int peers_per_answer = 8;

// Seconds after which a connection that neither side is interested in is
// closed when the torrent is near its connection limit.
inline constexpr int mutual_disinterest_timeout_s = 10;

// Seconds of data a client keeps asked for from each peer (libtorrent's
// request_queue_time, 3 s by default). A piece goes on through the swarm
// only once a client holds all of it, and each block waits behind what is
// already asked for: with 3 s a block took 0.4-2.3 s (median) and up to
// 7 s to come, and the last pieces reached the last clients 6 s after the
// seeder sent them. One second is still far above a LAN's round trip,
// even behind a switch's 50 ms queue (docs/architecture.md, "The pipe").
inline constexpr int request_queue_s = 1;

// The session-wide part of the rules (calling, keeping, asking).
void peer_settings(lt::settings_pack& settings);

// What AddTorrent asked for. Zero limits take the original EZIO's
// defaults (3 uploads, 5 connections).
struct PeerPolicy {
	int max_uploads = 0;
	int max_connections = 0;
	bool seed = false;
	bool super_seed = false;  // a seed hands pieces out with PieceHandout
	std::vector<lt::tcp::endpoint> peers;  // named by AddTorrent
	bool clonezilla_layout = false;  // may have a companion: its handshakes carry the advert
	std::string label;  // "torrent HASH 'NAME'", for the log
};

// The upload slots of a torrent with `policy` (libtorrent's max_uploads;
// -1 is unlimited). Under a connection limit every peer that wants data is
// unchoked, whatever AddTorrent asked: in a lab every peer is a machine
// being deployed, and choking one of them only idles a link.
// - A seeder's handout grants each client one piece (two at the seam) and
//   refuses the rest, so a slot held by a client it refuses sent nothing
//   while a choked client it would serve waited for libtorrent's choker
//   (every 15 s): with Clonezilla's 5 of 6 the seeder's link fell to 2-3
//   MiB/s of 4.6 for seconds at a time.
// - A client's choker trades slots for data (tit for tat): at N=16 a
//   third of the clients were choked by 2-3 of their 6 peers through the
//   run, and the last to finish by 3 (4.2 s after the rest).
// The connection limit bounds the uploads; a torrent with none (a
// companion, which every client of the lab calls, or AddTorrent's -1)
// keeps the slots asked for rather than split its link among them all.
int upload_slots(PeerPolicy const& policy);

class TorrentPeers {
public:
	static constexpr int default_max_uploads = 3;
	static constexpr int default_max_connections = 5;

	// Puts the rules into `params` (which holds the torrent's metadata):
	// the limits, the named peers and the plugins.
	TorrentPeers(PeerPolicy policy, lt::add_torrent_params& params);

	// The torrent is in the session.
	void attach(lt::torrent_handle handle) { m_handle = std::move(handle); }

	// Once a second: whether the torrent wants data now (downloading, not
	// paused, no error) and the payload it received so far. Breaks a stall.
	// True when it acted on a stall (call_again) just now.
	bool once_a_second(bool wants_data, std::int64_t downloaded, std::chrono::steady_clock::time_point now);

	// Closes every connection of the torrent, asks the tracker for peers now
	// and calls the peers AddTorrent named (a stall, or a torrent that
	// starts over).
	void call_again() const;

	// The companion advert of a Clonezilla-layout torrent (null otherwise).
	std::shared_ptr<CompanionLink> const& companion() const { return m_companion; }
	PeerPolicy const& policy() const { return m_policy; }

private:
	PeerPolicy m_policy;
	lt::torrent_handle m_handle;
	std::shared_ptr<ConnectionReset> m_reset = std::make_shared<ConnectionReset>();
	StallWatch m_stall;  // the alert thread's
	std::shared_ptr<CompanionLink> m_companion;
};

}  // namespace ezio::swarm
