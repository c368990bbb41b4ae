#include "daemon/session_settings.hpp"

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <libtorrent/alert.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/session.hpp>

#include "common/version.hpp"
#include "daemon/endpoint.hpp"
#include "tracker/announce.hpp"

#include <algorithm>
#include <climits>

namespace ezio::daemon {

lt::settings_pack lan_settings(Options const& o)
{
	using sp = lt::settings_pack;
	lt::settings_pack s;

	s.set_str(sp::listen_interfaces, fmt::format("0.0.0.0:{}", o.port));
	s.set_str(sp::user_agent, fmt::format("ezio/{}", version()));

	// Peer discovery is explicit: a tracker, or peers named in AddTorrent.
	s.set_bool(sp::enable_dht, false);
	s.set_bool(sp::enable_lsd, false);
	s.set_bool(sp::enable_upnp, false);
	s.set_bool(sp::enable_natpmp, false);

	// TCP only, in the clear: uTP's congestion control and RC4 only slow a LAN.
	s.set_bool(sp::enable_outgoing_utp, false);
	s.set_bool(sp::enable_incoming_utp, false);
	s.set_int(sp::out_enc_policy, sp::pe_disabled);
	s.set_int(sp::in_enc_policy, sp::pe_disabled);

	// Keep enough data queued per peer to fill a fast link.
	s.set_int(sp::send_buffer_watermark, 8 << 20);
	s.set_int(sp::send_buffer_low_watermark, 1 << 20);
	s.set_int(sp::send_buffer_watermark_factor, 150);
	s.set_int(sp::max_out_request_queue, 1500);
	s.set_int(sp::max_allowed_in_request_queue, 2000);

	// Per-torrent max_uploads / max_connections (AddTorrent) are the limits.
	s.set_int(sp::unchoke_slots_limit, -1);
	s.set_bool(sp::allow_multiple_connections_per_ip, o.allow_multiple_connections_per_ip);
	if (o.upload_rate_limit_mib > 0) s.set_int(sp::upload_rate_limit, int(o.upload_rate_limit_mib * 1024 * 1024));

	// On a LAN a lost peer (a restarted daemon, a torrent that was
	// rechecked) is worth calling again within seconds; libtorrent's default
	// waits a minute between attempts, and a connect that takes more than a
	// few seconds on a LAN will not succeed.
	s.set_int(sp::min_reconnect_time, 2);
	s.set_int(sp::peer_connect_timeout, 5);

	// Under Clonezilla's limits (6 connections) a client whose slots are
	// held by peers that have nothing for it, and want nothing from it,
	// starves while others hold the image. libtorrent closes such a
	// connection once the torrent is near its connection limit and neither
	// side has been interested for inactivity_timeout: ten minutes by
	// default, a few seconds here, so the slot goes to a peer worth having
	// (docs/architecture.md, "Connections under small limits").
	s.set_int(sp::inactivity_timeout, mutual_disinterest_timeout_s);

	// Ask any tracker (Clonezilla runs opentracker) for a few peers drawn at
	// random, not for all of them: libtorrent connects to the known peers it
	// ranks highest by a hash of the two addresses (BEP 40), which under
	// small connection limits splits a lab into clusters, the same in every
	// run (tracker::peers_per_answer; docs/architecture.md).
	s.set_int(sp::num_want, tracker::peers_per_answer);

	// libtorrent's default backlog of 5 lets a few connection attempts a
	// second (a flood, or a lab's clients all starting at once) push out the
	// peers that matter.
	s.set_int(sp::listen_queue_size, 256);

	// Shut down promptly: do not wait long for trackers to hear "stopped".
	s.set_int(sp::stop_tracker_timeout, 1);

	// The raw engine's memory budget, in 16 KiB blocks: changing it later
	// through apply_settings resizes the budget while running.
	s.set_int(sp::cache_size, int(std::min<std::int64_t>(std::int64_t(o.cache_size_mb) * 64, INT_MAX)));

	// Used by libtorrent's own storage in -F mode; the raw engine takes its
	// threads from EngineConfig.
	s.set_int(sp::aio_threads, o.aio_threads);
	s.set_int(sp::hashing_threads, std::max(1, o.aio_threads / 4));

	s.set_int(sp::alert_mask, static_cast<int>(static_cast<std::uint32_t>(lt::alert_category::error
		| lt::alert_category::status | lt::alert_category::storage
		| lt::alert_category::performance_warning | lt::alert_category::peer
		| lt::alert_category::piece_progress)));
	return s;
}

void rate_limit_local_peers(lt::session& session)
{
	using boost::asio::ip::make_address;
	auto const global_only = std::uint32_t(1) << static_cast<std::uint32_t>(lt::session::global_peer_class_id);
	lt::ip_filter classes;
	classes.add_rule(make_address("0.0.0.0"), make_address("255.255.255.255"), global_only);
	classes.add_rule(make_address("::"), make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global_only);
	session.set_peer_class_filter(classes);
}

void restrict_peers(lt::session& session, std::vector<std::string> const& networks)
{
	if (networks.empty()) return;
	using boost::asio::ip::make_address;
	lt::ip_filter filter;
	filter.add_rule(make_address("0.0.0.0"), make_address("255.255.255.255"), lt::ip_filter::blocked);
	filter.add_rule(make_address("::"), make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), lt::ip_filter::blocked);
	for (std::string const& text : networks)
		if (auto const range = parse_network(text)) filter.add_rule(range->first, range->last, 0);
	session.set_ip_filter(filter);
}

}  // namespace ezio::daemon
