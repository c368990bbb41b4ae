#include "daemon/alert_pump.hpp"

#include <algorithm>

namespace ezio::daemon {

void AlertPump::start(Callbacks callbacks)
{
	m_callbacks = std::move(callbacks);
	m_thread = std::thread([this] { run(); });
}

void AlertPump::wake()
{
	{
		MutexLock lock(m_mutex);
		m_ready = true;
	}
	m_wake.notify_one();
}

void AlertPump::stop()
{
	{
		MutexLock lock(m_mutex);
		m_stopping = true;
	}
	m_wake.notify_one();
	if (m_thread.joinable()) m_thread.join();
}

void AlertPump::run()
{
	std::vector<lt::alert*> alerts;
	for (;;) {
		{
			auto const sleep = std::min<Clock::duration>(m_callbacks.max_sleep(), std::chrono::seconds(1));
			auto const deadline = Clock::now() + sleep;
			MutexLock lock(m_mutex);
			while (!m_ready && !m_stopping && m_wake.wait_until(lock, deadline)) {
			}
			if (m_stopping) return;
			m_ready = false;
		}
		m_callbacks.pop(alerts);
		for (lt::alert const* a : alerts) m_callbacks.dispatch(a);
		m_callbacks.periodic();
	}
}

}  // namespace ezio::daemon
