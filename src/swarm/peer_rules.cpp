#include "swarm/peer_rules.hpp"

#include <libtorrent/extensions/smart_ban.hpp>
#include <libtorrent/peer_info.hpp>
#include <spdlog/spdlog.h>

#include "swarm/handout_plugin.hpp"

namespace ezio::swarm {

void peer_settings(lt::settings_pack& s)
{
	using sp = lt::settings_pack;
	// Calling: on a LAN a lost peer (a restarted daemon, a torrent that was
	// rechecked) is worth calling again within seconds; libtorrent's default
	// waits a minute between attempts, and a connect that takes more than a
	// few seconds on a LAN will not succeed.
	s.set_int(sp::min_reconnect_time, 2);
	s.set_int(sp::peer_connect_timeout, 5);
	// Keeping: under Clonezilla's limits (6 connections) a client whose
	// slots are held by peers that have nothing for it, and want nothing
	// from it, starves while others hold the image. libtorrent closes such a
	// connection once the torrent is near its connection limit and neither
	// side has been interested for inactivity_timeout: ten minutes by
	// default, a few seconds here, so the slot goes to a peer worth having.
	s.set_int(sp::inactivity_timeout, mutual_disinterest_timeout_s);
	// Asking: a few peers drawn at random by any tracker (Clonezilla runs
	// opentracker), not all of them (see the header).
	s.set_int(sp::num_want, peers_per_answer);
	// libtorrent's default backlog of 5 lets a few connection attempts a
	// second (a flood, or a lab's clients all starting at once) push out the
	// peers that matter.
	s.set_int(sp::listen_queue_size, 256);
	// Per-torrent max_uploads / max_connections (AddTorrent) are the limits.
	s.set_int(sp::unchoke_slots_limit, -1);
	// Piping: one second of data asked for ahead per peer (see the header).
	s.set_int(sp::request_queue_time, request_queue_s);
}

int upload_slots(PeerPolicy const& policy)
{
	if (policy.max_connections >= 0) return -1;  // 0: the default limit
	return policy.max_uploads == 0 ? TorrentPeers::default_max_uploads : policy.max_uploads;
}

TorrentPeers::TorrentPeers(PeerPolicy policy, lt::add_torrent_params& params) : m_policy(std::move(policy))
{
	int const connections = m_policy.max_connections == 0 ? default_max_connections : m_policy.max_connections;
	params.max_uploads = upload_slots(m_policy);
	// One slot more than the limit: the room rule's spare slot.
	params.max_connections = room_slot(connections);
	params.peers = m_policy.peers;
	// Finds the peer that sent a corrupt block and bans it alone.
	params.extensions.push_back(lt::create_smart_ban_plugin);
	// Closes connections that neither say what they have nor want anything,
	// gives their upload slots to peers that want data, and makes room for
	// peers with few connections.
	auto const probation = std::make_shared<Probation>();
	params.extensions.push_back(connection_rules_plugin(
		Room(connections), params.max_uploads, m_policy.seed, m_reset, m_policy.label, probation));
	if (m_policy.seed && m_policy.super_seed && params.ti)
		params.extensions.push_back(handout_plugin(params.ti->files(), probation));
	if (m_policy.clonezilla_layout) {
		m_companion = std::make_shared<CompanionLink>();
		params.extensions.push_back(companion_plugin(m_companion));
	}
}

bool TorrentPeers::once_a_second(bool wants_data, std::int64_t downloaded, std::chrono::steady_clock::time_point now)
{
	std::vector<lt::peer_info> peers;
	bool const logged = spdlog::should_log(spdlog::level::debug) && m_handle.is_valid();
	if (logged) {
		m_handle.get_peer_info(peers);
		spdlog::debug("{}: {}", m_policy.label, describe_peers(peers));
	}
	if (!m_stall.update(wants_data, downloaded, now) || !m_handle.is_valid()) return false;
	if (!logged) m_handle.get_peer_info(peers);  // each call waits for the network thread
	spdlog::info("{}: no data for {} s from {}; asking the tracker for more and calling the known ones again",
		m_policy.label, StallWatch::stalled_after.count(), describe_peers(peers));
	call_again();
	return true;
}

void TorrentPeers::call_again() const
{
	if (!m_handle.is_valid()) return;
	// Every connection of the torrent is closed (none of them has given it
	// anything for StallWatch's 5 s; peers that were fetching from it call
	// again), which frees slots held by peers with nothing for it. libtorrent
	// gives up on a peer after three failed connections (max_failcount), and
	// a seeder whose slots are full (other clients, or a flood of silent
	// connections) fails every attempt: a client then never called its only
	// seeder again. Each time a tracker or connect_peer names a peer again,
	// libtorrent takes one failure off its count, so the peers named here
	// are tried again. (torrent_handle::clear_peers, which forgot them
	// outright, crashes libtorrent 2.0.8: see ConnectionReset.)
	m_reset->request();
	m_handle.force_reannounce(0, -1, lt::torrent_handle::ignore_min_interval);
	for (auto const& peer : m_policy.peers) m_handle.connect_peer(peer);
}

}  // namespace ezio::swarm
