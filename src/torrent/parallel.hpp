// Work over the items of an image (pieces, chunks) spread over every core,
// with progress on the calling thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/expected.hpp"

namespace ezio::torrent {

// Each thread's reusable buffers.
struct Scratch {
	Bytes a, b;
};

// Runs work(i, scratch) for every i in [0, count) on `threads` threads (0:
// one per core). Calls progress(done, count) on the calling thread about
// every 100 ms and once at the end. The first failure stops the others and
// is returned.
Status run_parallel(int count, int threads, std::function<void(int, int)> const& progress,
	std::function<Status(int, Scratch&)> const& work);

}  // namespace ezio::torrent
