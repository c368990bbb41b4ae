// The engine's counters at one moment, as plain numbers: what the logs, the
// metrics and the benchmarks read. Free of libtorrent types, so the control
// plane's contract (api/controller.hpp) can carry it.
#pragma once

#include <cstdint>

namespace ezio::api {

struct EngineStatsSnapshot {
	std::int64_t write_ops = 0, write_bytes = 0, read_ops = 0, read_bytes = 0, sync_ops = 0, io_errors = 0;
	std::int64_t write_micros = 0, read_micros = 0, blocks_hashed = 0, hash_micros = 0;
	std::int64_t cache_hits = 0, cache_misses = 0, backpressure_events = 0;
	// Chunked torrents: chunks decoded and written, chunks made again from a
	// target to serve them, and the time both took.
	std::int64_t chunks_decoded = 0, chunks_remade = 0, chunk_micros = 0;
};

}  // namespace ezio::api
