#include "daemon/companion_watch.hpp"

#include <fmt/format.h>

namespace ezio::daemon {

std::optional<std::string> CompanionWatch::update(bool paused, std::int64_t received, std::int64_t done,
	Clock::time_point now)
{
	if (paused || received != m_received) {
		m_received = received;
		m_received_at = now;
	}
	if (paused || done != m_done) {
		m_done = done;
		m_done_at = now;
	}
	if (now - m_received_at >= silent_limit) return fmt::format("no data for {} s", silent_limit.count());
	if (now - m_done_at >= fruitless_limit)
		return fmt::format("no chunk completed for {} s while data came", fruitless_limit.count());
	return std::nullopt;
}

}  // namespace ezio::daemon
