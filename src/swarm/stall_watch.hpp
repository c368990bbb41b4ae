// Notices a download that has stalled: a torrent that wants data but has
// received none for a while. TorrentPeers then asks the tracker for peers
// at once and calls the peers it was given again, instead of waiting for the
// next announce interval (30 s and more): in a swarm whose connection slots
// are full of peers with nothing new, a client otherwise idles that long.
//
// One per torrent; not thread-safe (the alert thread owns them).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/peer_info.hpp>

namespace ezio::swarm {

class StallWatch {
public:
	using Clock = std::chrono::steady_clock;

	static constexpr std::chrono::seconds stalled_after{5};  // no payload for this long
	static constexpr std::chrono::seconds retry_after{10};   // between two actions

	// Feeds the torrent's state now: whether it wants data (downloading, not
	// paused, not failed) and its payload bytes received so far. Returns
	// true when the stall is to be acted on now.
	bool update(bool wants_data, std::int64_t downloaded, Clock::time_point now);

private:
	std::int64_t m_downloaded = -1;
	Clock::time_point m_progress{};  // last time data came in (or it started wanting)
	std::optional<Clock::time_point> m_acted;
};

// What a stalled torrent's connections were doing when the stall was acted
// on, for its log line, and of every torrent each second at debug level:
// "6 peers (6 choke it; it wants pieces from 4, 2 want pieces from it, 1
// of them unchoked; 0 requests out)". It tells a client whose peers all
// choke it from one whose peers hold nothing it lacks, and an idle uplink
// from one with nobody to serve, so a stall or a slow swarm can be
// explained from the logs.
std::string describe_peers(std::vector<lt::peer_info> const& peers);

}  // namespace ezio::swarm
