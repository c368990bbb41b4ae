// One thread that runs tasks one after another, in the order they were
// posted: where work that may block for long (an fdatasync of gigabytes)
// goes, so that the thread that posted it does not wait.
//
// Thread-safety: post() may be called from any thread, also from a task.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "common/mutex.hpp"

namespace ezio {

class SerialWorker {
public:
	SerialWorker();
	// Runs every task posted before, then joins the thread (as stop()).
	~SerialWorker();
	SerialWorker(SerialWorker const&) = delete;
	SerialWorker& operator=(SerialWorker const&) = delete;

	// Queues `task` to run on the worker after everything posted before.
	// Once the destructor has begun, runs `task` on the caller instead:
	// nothing posted is ever dropped.
	void post(std::function<void()> task);

	// Runs every task posted before and joins the thread; from then on
	// post() runs its task on the caller. Idempotent; not from a task.
	void stop();

private:
	void run();

	Mutex m_mutex;
	CondVar m_wake;
	std::deque<std::function<void()>> m_tasks EZIO_GUARDED_BY(m_mutex);
	bool m_stopping EZIO_GUARDED_BY(m_mutex) = false;
	std::thread m_thread;  // last: started when the rest is ready
};

}  // namespace ezio
