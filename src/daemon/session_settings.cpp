#include "daemon/session_settings.hpp"

#include <cstdlib>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <libtorrent/alert.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/session.hpp>

#include "common/version.hpp"
#include "daemon/endpoint.hpp"
#include "swarm/peer_rules.hpp"

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

	s.set_bool(sp::allow_multiple_connections_per_ip, o.allow_multiple_connections_per_ip);
	if (o.upload_rate_limit_mib > 0) s.set_int(sp::upload_rate_limit, int(o.upload_rate_limit_mib * 1024 * 1024));

	// How peers are found, called and kept (swarm/peer_rules.hpp).
	swarm::peer_settings(s);

	// Shut down promptly: do not wait long for trackers to hear "stopped".
	s.set_int(sp::stop_tracker_timeout, 1);

	// The raw engine's memory budget, in 16 KiB blocks: changing it later
	// through apply_settings resizes the budget while running.
	if (auto const budget = api::MemoryBudget::from_mib(o.cache_size_mb)) s.set_int(sp::cache_size, budget->setting());

	// Used by libtorrent's own storage in -F mode; the raw engine takes its
	// threads from EngineConfig.
	s.set_int(sp::aio_threads, o.aio_threads);
	s.set_int(sp::hashing_threads, std::max(1, o.aio_threads / 4));

	lt::alert_category_t alerts = lt::alert_category::error | lt::alert_category::status
		| lt::alert_category::storage | lt::alert_category::performance_warning | lt::alert_category::peer
		| lt::alert_category::piece_progress;
	// EZIO_PEER_LOG=1: every message each connection sends and receives, and
	// libtorrent's reasons (logged at debug): how a choke or a close came about.
	if (char const* peer_log = std::getenv("EZIO_PEER_LOG"); peer_log != nullptr && std::string(peer_log) == "1")
		alerts |= lt::alert_category::peer_log;
	s.set_int(sp::alert_mask, static_cast<int>(static_cast<std::uint32_t>(alerts)));
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
