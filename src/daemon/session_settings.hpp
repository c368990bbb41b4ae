// libtorrent session settings for deployments on a LAN.
#pragma once

#include <string>
#include <vector>

#include <libtorrent/fwd.hpp>
#include <libtorrent/settings_pack.hpp>

#include "daemon/options.hpp"

namespace ezio::daemon {

// libtorrent's defaults are made for the Internet: encryption, uTP, DHT,
// local peer discovery, UPnP, small send buffers and few upload slots. On a
// LAN they cost a factor of 20 in throughput (one loopback transfer on the
// 2-core machine this was written on: 23 MiB/s with the defaults, 472 MiB/s
// with these; docs/architecture.md, "Session settings"), and LSD makes a
// daemon connect to itself and find every peer twice. These settings turn
// all of that off and let peers use the network.
lt::settings_pack lan_settings(Options const& options);

// Puts every peer, whatever its address, in libtorrent's global peer class
// only. By default peers on a local network (10/8, 192.168/16, 127/8, ...)
// also join the "local" class, which is exempt from rate limits: on a LAN,
// where every peer is local, --upload-rate-limit and --slow-start would
// then limit nothing.
void rate_limit_local_peers(lt::session& session);

// --peer-filter: with networks given (CIDR), libtorrent refuses
// connections from and to any address outside them, and drops such
// addresses from tracker answers.
void restrict_peers(lt::session& session, std::vector<std::string> const& networks);

}  // namespace ezio::daemon
