// libtorrent session settings for deployments on a LAN.
#pragma once

#include <libtorrent/settings_pack.hpp>

#include "daemon/options.hpp"

namespace ezio::daemon {

// libtorrent's defaults are made for the Internet: encryption, uTP, DHT,
// local peer discovery, UPnP, small send buffers and few upload slots. On a
// LAN they cost a factor of 20 in throughput (DESIGN.md §5), and LSD makes a
// daemon connect to itself and find every peer twice. These settings turn
// all of that off and let peers use the network.
lt::settings_pack lan_settings(Options const& options);

}  // namespace ezio::daemon
