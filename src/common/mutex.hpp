// A mutex, a scoped lock and a condition variable that clang's thread-safety
// analysis understands, and the annotations that name what a mutex guards.
//
// "Guarded by" written as a comment is a promise nobody checks. Written as
// EZIO_GUARDED_BY(m_mutex), clang (-Wthread-safety, which
// scripts/check-thread-safety turns into errors in CI) rejects any access
// to the member without the mutex held; EZIO_REQUIRES on a function makes
// its callers hold it. std::mutex carries no such annotation in libstdc++,
// hence these thin wrappers (LevelDB's port::Mutex is the model). With GCC
// the annotations are empty and the wrappers cost nothing.
//
// A condition variable's predicate is a lambda, which the analysis checks
// as a function of its own that holds nothing: so CondVar has no predicate
// overloads, and callers loop in the scope that holds the lock:
//
//     MutexLock lock(m_mutex);
//     while (!m_ready) m_wake.wait(lock);
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define EZIO_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define EZIO_THREAD_ANNOTATION(x)
#endif

#define EZIO_CAPABILITY(x) EZIO_THREAD_ANNOTATION(capability(x))
#define EZIO_SCOPED_CAPABILITY EZIO_THREAD_ANNOTATION(scoped_lockable)
#define EZIO_GUARDED_BY(x) EZIO_THREAD_ANNOTATION(guarded_by(x))
#define EZIO_REQUIRES(...) EZIO_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EZIO_ACQUIRE(...) EZIO_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define EZIO_RELEASE(...) EZIO_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace ezio {

class EZIO_CAPABILITY("mutex") Mutex {
public:
	Mutex() = default;
	Mutex(Mutex const&) = delete;
	Mutex& operator=(Mutex const&) = delete;

	void lock() EZIO_ACQUIRE() { m_mutex.lock(); }
	void unlock() EZIO_RELEASE() { m_mutex.unlock(); }

private:
	friend class MutexLock;
	std::mutex m_mutex;
};

// Holds a Mutex for its scope.
class EZIO_SCOPED_CAPABILITY MutexLock {
public:
	explicit MutexLock(Mutex& mutex) EZIO_ACQUIRE(mutex) : m_lock(mutex.m_mutex) {}
	~MutexLock() EZIO_RELEASE() = default;
	MutexLock(MutexLock const&) = delete;
	MutexLock& operator=(MutexLock const&) = delete;

private:
	friend class CondVar;
	std::unique_lock<std::mutex> m_lock;
};

// Waits release the lock's mutex while they sleep and hold it again when
// they return; they may return without a notify (loop on the condition).
class CondVar {
public:
	void wait(MutexLock& lock) { m_cv.wait(lock.m_lock); }
	// Returns false once `deadline` has passed.
	template <class Clock, class Duration>
	bool wait_until(MutexLock& lock, std::chrono::time_point<Clock, Duration> const& deadline)
	{
		return m_cv.wait_until(lock.m_lock, deadline) == std::cv_status::no_timeout;
	}
	void notify_one() { m_cv.notify_one(); }
	void notify_all() { m_cv.notify_all(); }

private:
	std::condition_variable m_cv;
};

}  // namespace ezio
