// Loading .torrent files that come from outside (RPC callers, users).
#pragma once

#include <memory>
#include <string_view>

#include <libtorrent/torrent_info.hpp>

#include "common/expected.hpp"

namespace ezio::torrent {

// Limits for bencoded input: generous enough for a multi-TiB partition
// (hundreds of thousands of extents and pieces), small enough that a
// hostile file cannot exhaust memory or the stack.
inline constexpr int max_torrent_bytes = 64 << 20;
inline constexpr int max_bencode_depth = 32;
inline constexpr int max_bencode_tokens = 20'000'000;

// Parses a .torrent and checks it is one EZIO can deploy: v1 only (SHA-1
// pieces). v2 and hybrid torrents are refused with a message saying how to
// make a usable one.
Expected<std::shared_ptr<lt::torrent_info>> load_torrent(std::string_view data);

}  // namespace ezio::torrent
