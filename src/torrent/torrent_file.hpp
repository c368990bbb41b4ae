// Loading .torrent files that come from outside (RPC callers, users).
#pragma once

#include <memory>
#include <string_view>

#include <libtorrent/torrent_info.hpp>

#include "common/bencode_limits.hpp"
#include "common/expected.hpp"

namespace ezio::torrent {

using ezio::max_bencode_depth;
using ezio::max_bencode_tokens;
using ezio::max_torrent_bytes;

// Parses a .torrent and checks it is one EZIO can deploy: v1 only (SHA-1
// pieces). v2 and hybrid torrents are refused with a message saying how to
// make a usable one.
Expected<std::shared_ptr<lt::torrent_info>> load_torrent(std::string_view data);

}  // namespace ezio::torrent
