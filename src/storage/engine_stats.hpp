// What the engine has done, for libtorrent's session statistics, the logs
// and the benchmarks.
//
// Thread-safety: every field is an atomic updated with relaxed ordering;
// readers get a consistent-enough snapshot for statistics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "api/engine_stats_snapshot.hpp"
#include "storage/io_backend.hpp"

namespace ezio::storage {

using api::EngineStatsSnapshot;

struct EngineStats {
	std::atomic<std::int64_t> write_ops{0};   // vectored writes issued
	std::atomic<std::int64_t> write_bytes{0};
	std::atomic<std::int64_t> read_ops{0};    // vectored reads issued
	std::atomic<std::int64_t> read_bytes{0};
	std::atomic<std::int64_t> sync_ops{0};
	std::atomic<std::int64_t> io_errors{0};
	std::atomic<std::int64_t> write_micros{0};
	std::atomic<std::int64_t> read_micros{0};
	std::atomic<std::int64_t> blocks_hashed{0};
	std::atomic<std::int64_t> hash_micros{0};
	std::atomic<std::int64_t> cache_hits{0};    // blocks served from memory
	std::atomic<std::int64_t> cache_misses{0};  // blocks that needed a read
	std::atomic<std::int64_t> backpressure_events{0};
	std::atomic<std::int64_t> chunks_decoded{0};  // decoded and written
	std::atomic<std::int64_t> chunks_remade{0};   // made again to be served
	std::atomic<std::int64_t> chunk_micros{0};

	static void add(std::atomic<std::int64_t>& counter, std::int64_t value)
	{
		counter.fetch_add(value, std::memory_order_relaxed);
	}
};

inline EngineStatsSnapshot snapshot(EngineStats const& s)
{
	auto const get = [](std::atomic<std::int64_t> const& a) { return a.load(std::memory_order_relaxed); };
	EngineStatsSnapshot n;
	n.write_ops = get(s.write_ops);
	n.write_bytes = get(s.write_bytes);
	n.read_ops = get(s.read_ops);
	n.read_bytes = get(s.read_bytes);
	n.sync_ops = get(s.sync_ops);
	n.io_errors = get(s.io_errors);
	n.write_micros = get(s.write_micros);
	n.read_micros = get(s.read_micros);
	n.blocks_hashed = get(s.blocks_hashed);
	n.hash_micros = get(s.hash_micros);
	n.cache_hits = get(s.cache_hits);
	n.cache_misses = get(s.cache_misses);
	n.backpressure_events = get(s.backpressure_events);
	n.chunks_decoded = get(s.chunks_decoded);
	n.chunks_remade = get(s.chunks_remade);
	n.chunk_micros = get(s.chunk_micros);
	return n;
}

// An IoBackend that counts and times every call of the one it wraps.
std::unique_ptr<IoBackend> make_counting_io(std::shared_ptr<IoBackend> inner, EngineStats& stats);

}  // namespace ezio::storage
