// When a client gives its companion up (CompanionClient): no data at all
// for `silent_limit`, or data that completes no chunk for
// `fruitless_limit` (a companion whose chunks keep failing their hashes).
// The clocks stand still while the companion is paused.
//
// Why not sooner: at the end of a deployment every client hashes its
// torrent's pieces on its target at about the same time, and a client still
// riding then gets nothing for a while. At N=32 on one host (2 cores, 33
// daemons) three clients a run saw 25-30 s of it at 93.8 %, gave their
// companion up at the former 30 s limit, and fetched their last two 16 MiB
// pieces as the torrent: 45 s more. Giving up only pays when the companion
// is dead, and then the torrent's own peers are rarely better off.
//
// Pure; one per ride, owned by the client under its lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ezio::daemon {

class CompanionWatch {
public:
	using Clock = std::chrono::steady_clock;
	static constexpr std::chrono::seconds silent_limit{60};
	static constexpr std::chrono::seconds fruitless_limit{120};

	explicit CompanionWatch(Clock::time_point start) : m_received_at(start), m_done_at(start) {}

	// The companion's state now: paused, payload bytes received so far,
	// bytes of verified chunks. Why it is to be given up, or nothing.
	std::optional<std::string> update(bool paused, std::int64_t received, std::int64_t done, Clock::time_point now);

private:
	std::int64_t m_received = -1;
	std::int64_t m_done = -1;
	Clock::time_point m_received_at;
	Clock::time_point m_done_at;
};

}  // namespace ezio::daemon
