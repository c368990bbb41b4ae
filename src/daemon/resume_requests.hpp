// When a torrent's resume records are asked of libtorrent (docs/resume.md):
// at most one save at a time; progress made meanwhile is remembered and
// asked for once the save is done, durable if any of it wanted a durable
// record; a downloading torrent gets a durable record every 30 s. Pure
// state, no libtorrent: the daemon asks libtorrent when this says so.
//
// Thread-safety: none; the daemon's torrent table (and its mutex) owns it.
#pragma once

#include <chrono>
#include <optional>

namespace ezio::daemon {

class ResumeRequests {
public:
	using Clock = std::chrono::steady_clock;
	static constexpr std::chrono::seconds periodic_interval{30};

	explicit ResumeRequests(Clock::time_point now = {}) : m_last_durable(now) {}

	// A record is wanted. True when a save must be asked of libtorrent now
	// (none in flight); otherwise the wish waits for the save in flight.
	bool want(bool durable)
	{
		if (m_in_flight) {
			m_again = true;
			m_again_durable = m_again_durable || durable;
			return false;
		}
		m_in_flight = true;
		m_in_flight_durable = durable;
		return true;
	}

	// The save in flight is done (written or failed). Returns the wish that
	// waited for it, if any (true: durable), to be passed to want().
	std::optional<bool> done(Clock::time_point now)
	{
		if (m_in_flight && m_in_flight_durable) m_last_durable = now;
		m_in_flight = false;
		if (!m_again) return std::nullopt;
		bool const durable = m_again_durable;
		m_again = m_again_durable = false;
		return durable;
	}

	// Whether the save in flight is for a durable record.
	bool in_flight_durable() const { return m_in_flight && m_in_flight_durable; }

	// A durable record is being made or is waiting to be.
	bool durable_pending() const { return in_flight_durable() || m_again_durable; }

	// The periodic durable record is due: none for `periodic_interval`, and
	// none pending.
	bool periodic_due(Clock::time_point now) const
	{
		return !durable_pending() && now - m_last_durable > periodic_interval;
	}

private:
	bool m_in_flight = false;
	bool m_in_flight_durable = false;
	bool m_again = false;          // more progress since the save in flight
	bool m_again_durable = false;  // ...and a durable record is wanted after it
	Clock::time_point m_last_durable;
};

}  // namespace ezio::daemon
