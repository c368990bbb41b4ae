// A companion's metadata, fetched from the peers that name it
// (docs/format.md, "The companion transfer"): its info dictionary over
// ut_metadata (BEP 9), in a libtorrent session of its own that stores
// nothing and calls only the peers given (it listens on a free port while
// it runs; a torrent held in upload mode with no data serves no one).
// libtorrent checks the dictionary against the info-hash; what it says is
// checked by the caller (torrent::check_companion) before anything is
// written.
//
// Blocking: call it from a worker, never from libtorrent's threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/socket.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/expected.hpp"

namespace ezio::daemon {

// The most a companion's info dictionary may be: a chunk costs about 190
// bytes (its description, hash and files), and torrent::auto_window keeps
// a companion to 131,072 chunks (25 MiB) up to 2 TiB used.
inline constexpr int max_companion_metadata = 32 << 20;

// The peers that named the companion so far; asked again every second, so
// that peers heard of during the fetch are called too.
using CompanionPeers = std::function<std::vector<lt::tcp::endpoint>()>;

// Gives up early once `stopping` is set (the daemon stops: it does not wait
// out `limit`).
Expected<std::shared_ptr<lt::torrent_info const>> fetch_companion_metadata(lt::sha1_hash const& companion,
	CompanionPeers const& peers, std::chrono::seconds limit, std::atomic<bool> const& stopping);

}  // namespace ezio::daemon
