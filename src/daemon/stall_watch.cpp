#include "daemon/stall_watch.hpp"

namespace ezio::daemon {

bool StallWatch::update(bool wants_data, std::int64_t downloaded, Clock::time_point now)
{
	if (!wants_data) {
		m_downloaded = -1;  // the clock restarts when it wants data again
		return false;
	}
	if (downloaded != m_downloaded) {
		m_downloaded = downloaded;
		m_progress = now;
		return false;
	}
	if (now - m_progress < stalled_after) return false;
	if (m_acted && now - *m_acted < retry_after) return false;
	m_acted = now;
	return true;
}

}  // namespace ezio::daemon
