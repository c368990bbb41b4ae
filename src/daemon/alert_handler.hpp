// What the alert thread (AlertPump) does for the daemon: it dispatches
// libtorrent's alerts to the units that own what they change (the durable
// finish to Durability, errors and warnings to the torrent table) and runs
// the periodic tasks after each batch: status lines, the peer rules' once a
// second, the slow-start ramp, periodic durable records, memory pressure
// and disk statistics in the log.
//
// Threads: handle(), after_alerts() and until_next_task() on the alert
// thread, which owns the state that is not under a mutex; start_ramp() and
// log_session_stats() from any other thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <libtorrent/fwd.hpp>

#include "api/controller.hpp"
#include "common/mutex.hpp"
#include "daemon/companion_client.hpp"
#include "daemon/durability.hpp"
#include "daemon/options.hpp"
#include "daemon/slow_start.hpp"
#include "daemon/torrent_table.hpp"

namespace ezio::storage {
class Engine;
}

namespace ezio::daemon {

class AlertHandler {
public:
	using Clock = std::chrono::steady_clock;

	struct Parts {
		Options const& options;
		lt::session& session;
		TorrentTable& torrents;
		Durability& durability;
		storage::Engine* const& engine;  // null in -F mode
		// Every torrent's status, as the control plane sees it.
		std::function<std::vector<api::TorrentStatus>()> statuses;
		CompanionClient* companions = nullptr;  // raw mode, unless --no-companion
	};
	explicit AlertHandler(Parts parts);

	// One alert (alert thread).
	void handle(lt::alert const* alert);
	// After each batch of alerts (alert thread).
	void after_alerts();
	// Until the slow-start ramp next changes the upload limit.
	Clock::duration until_next_task();

	// The first torrent was added: the slow-start ramp begins (any thread).
	void start_ramp();
	// Asks libtorrent for its counters and waits (briefly) until the alert
	// thread has logged them (any thread but the alert thread).
	void log_session_stats();

private:
	void once_a_second();
	void update_upload_limit();
	void log_status_periodically(Clock::time_point now);
	void log_budget_pressure();
	void on_hash_failed(lt::torrent_handle const& handle, lt::piece_index_t piece);
	void on_torrent_checked(lt::torrent_handle const& handle);
	void on_session_stats(lt::alert const* alert);

	Parts const m_parts;

	std::optional<SlowStart> m_slow_start;
	Mutex m_ramp_mutex;
	std::optional<Clock::time_point> m_ramp_start EZIO_GUARDED_BY(m_ramp_mutex);

	// The alert thread's.
	std::int64_t m_upload_limit = -1;  // what the session was last told
	Clock::time_point m_last_tick{};
	Clock::time_point m_last_status_log = Clock::now();
	// Each torrent's payload totals at the last status line: the line's
	// rates are what moved since then. libtorrent's own rates are a 5 s
	// moving average, which shows a link that went full at once as
	// ramping up over 5 s.
	struct Totals {
		std::int64_t down = 0;
		std::int64_t up = 0;
	};
	std::unordered_map<std::string, Totals> m_logged_totals;
	Clock::time_point m_last_pressure_log{};
	std::int64_t m_backpressure_seen = 0;

	Mutex m_stats_mutex;
	CondVar m_stats_logged_wake;
	bool m_stats_logged EZIO_GUARDED_BY(m_stats_mutex) = false;
};

}  // namespace ezio::daemon
