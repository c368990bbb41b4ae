// Notices a download that has stalled: a torrent that wants data but has
// received none for a while. The daemon then asks the tracker for peers at
// once and calls the peers it was given again, instead of waiting for the
// next announce interval (30 s and more): in a swarm whose connection slots
// are full of peers with nothing new, a client otherwise idles that long.
//
// One per torrent; not thread-safe (the alert thread owns them).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace ezio::daemon {

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

}  // namespace ezio::daemon
