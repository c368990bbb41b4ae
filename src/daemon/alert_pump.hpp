// The alert thread: waits for libtorrent's alerts (or a wake-up, or the
// next timed task), hands every batch to the daemon's dispatch, then runs
// the daemon's periodic tasks. It owns nothing of the daemon's state; what
// the callbacks touch is owned by the daemon's units.
//
// Threads: start() and stop() from the thread that owns the pump; wake()
// from any thread (libtorrent's alert notification runs on its network
// thread). The callbacks run on the pump's own thread.
#pragma once

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <libtorrent/fwd.hpp>

#include "common/mutex.hpp"

namespace ezio::daemon {

class AlertPump {
public:
	using Clock = std::chrono::steady_clock;

	struct Callbacks {
		// Takes the alerts libtorrent has (lt::session::pop_alerts).
		std::function<void(std::vector<lt::alert*>&)> pop;
		// One alert; the pointers live until the next pop.
		std::function<void(lt::alert const*)> dispatch;
		// After each batch, and at least once a second.
		std::function<void()> periodic;
		// How long the pump may sleep before `periodic` must run again (at
		// most a second).
		std::function<Clock::duration()> max_sleep;
	};

	AlertPump() = default;
	~AlertPump() { stop(); }
	AlertPump(AlertPump const&) = delete;
	AlertPump& operator=(AlertPump const&) = delete;

	void start(Callbacks callbacks);
	// Something is ready (alerts, or work for the periodic tasks).
	void wake();
	// Ends the thread after its current batch; idempotent.
	void stop();

private:
	void run();

	Callbacks m_callbacks;  // set before the thread starts, then read by it only
	std::thread m_thread;
	Mutex m_mutex;
	CondVar m_wake;
	bool m_ready EZIO_GUARDED_BY(m_mutex) = false;
	bool m_stopping EZIO_GUARDED_BY(m_mutex) = false;
};

}  // namespace ezio::daemon
