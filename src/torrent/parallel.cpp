#include "torrent/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace ezio::torrent {

Status run_parallel(int count, int threads, std::function<void(int, int)> const& progress,
	std::function<Status(int, Scratch&)> const& work)
{
	std::atomic<int> next{0};
	std::atomic<int> done{0};
	std::mutex mutex;
	std::condition_variable finished;
	std::optional<Error> failure;  // guarded by mutex; the first one stops everyone

	auto run = [&] {
		Scratch scratch;
		for (int i = next++; i < count; i = next++) {
			if (auto const s = work(i, scratch); !s) {
				std::lock_guard<std::mutex> lock(mutex);
				if (!failure) failure = s.error_value();
				next = count;
				finished.notify_one();
				break;
			}
			if (++done == count) {
				std::lock_guard<std::mutex> lock(mutex);
				finished.notify_one();
			}
		}
	};

	if (threads <= 0) threads = int(std::thread::hardware_concurrency());
	threads = std::clamp(threads, 1, std::max(1, count));
	std::vector<std::thread> pool;
	for (int i = 0; i < threads; ++i) pool.emplace_back(run);
	{
		std::unique_lock<std::mutex> lock(mutex);
		while (done < count && !failure) {
			finished.wait_for(lock, std::chrono::milliseconds(100));
			if (progress && !failure && done < count) {
				lock.unlock();
				progress(done, count);
				lock.lock();
			}
		}
	}
	for (auto& t : pool) t.join();
	if (failure) return *failure;
	if (progress) progress(count, count);
	return Ok{};
}

}  // namespace ezio::torrent
