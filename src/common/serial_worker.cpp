#include "common/serial_worker.hpp"

namespace ezio {

SerialWorker::SerialWorker() : m_thread([this] { run(); }) {}

SerialWorker::~SerialWorker()
{
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		m_stopping = true;
	}
	m_wake.notify_one();
	m_thread.join();
}

void SerialWorker::post(std::function<void()> task)
{
	{
		std::lock_guard<std::mutex> lock(m_mutex);
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
			std::unique_lock<std::mutex> lock(m_mutex);
			m_wake.wait(lock, [this] { return !m_tasks.empty() || m_stopping; });
			if (m_tasks.empty()) return;  // stopping, and nothing left
			task = std::move(m_tasks.front());
			m_tasks.pop_front();
		}
		task();
	}
}

}  // namespace ezio
