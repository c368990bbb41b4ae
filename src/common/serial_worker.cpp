#include "common/serial_worker.hpp"

namespace ezio {

SerialWorker::SerialWorker() : m_thread([this] { run(); }) {}

SerialWorker::~SerialWorker()
{
	stop();
}

void SerialWorker::stop()
{
	{
		MutexLock lock(m_mutex);
		m_stopping = true;
	}
	m_wake.notify_one();
	if (m_thread.joinable()) m_thread.join();
}

void SerialWorker::post(std::function<void()> task)
{
	{
		MutexLock lock(m_mutex);
		if (!m_stopping) {
			m_tasks.push_back(std::move(task));
			m_wake.notify_one();
			return;
		}
	}
	task();
}

void SerialWorker::run()
{
	for (;;) {
		std::function<void()> task;
		{
			MutexLock lock(m_mutex);
			while (m_tasks.empty() && !m_stopping) m_wake.wait(lock);
			if (m_tasks.empty()) return;  // stopping, and nothing left
			task = std::move(m_tasks.front());
			m_tasks.pop_front();
		}
		task();
	}
}

}  // namespace ezio
