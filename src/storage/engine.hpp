// The raw storage engine as the daemon sees it: the one header of storage/
// that code above it includes to run the engine (the parts it wires
// together, raw_disk_io.hpp and below, stay inside storage/).
//
// make_engine() builds the engine for libtorrent's disk_io_constructor; the
// session owns it. The Engine interface is what the daemon may ask of it
// while it runs.
//
// Thread-safety: every Engine method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <libtorrent/disk_interface.hpp>
#include <libtorrent/io_context.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"
#include "storage/engine_stats.hpp"
#include "storage/io_backend.hpp"
#include "storage/target_registry.hpp"

namespace ezio::storage {

struct EngineConfig {
	int threads = 16;                                    // --aio-threads
	// How long an incomplete piece may sit in memory before it is written
	// out as it is.
	std::chrono::milliseconds flush_after{3000};
};

class Engine {
public:
	virtual ~Engine() = default;

	// Writes out everything held in memory for the torrent and fdatasyncs its
	// target; `done` runs on an engine thread with the outcome (an
	// operation_aborted error if the engine stops first). If it cannot start
	// (the engine has no such torrent, or has stopped) it says why and never
	// calls `done`.
	virtual Status sync(lt::sha1_hash const& info_hash, std::function<void(lt::storage_error const&)> done) = 0;

	// The torrent's next check (torrent_handle::force_recheck) hashes every
	// piece on the target and keeps those that match, through the page
	// cache, instead of starting from nothing: what its companion wrote
	// (docs/format.md, "The companion transfer") counts once T's own
	// SHA-1s hold. The durable finish still syncs the target and fails the
	// torrent if the sync fails.
	virtual void verify_at_next_check(lt::sha1_hash const& info_hash) = 0;

	// The memory budget now, and what uses it.
	virtual std::int64_t budget() const = 0;
	virtual std::int64_t bytes_in_use() const = 0;
	virtual std::int64_t peak_bytes_in_use() const = 0;
	virtual EngineStats const& stats() const = 0;
};

// The engine, for lt::session_params::disk_io_constructor. `targets` holds
// the targets the daemon opened for torrents about to be added; `io` does
// every read, write and sync. `*running` is set to the engine's Engine
// face, valid until the session destroys the engine.
std::unique_ptr<lt::disk_interface> make_engine(lt::io_context& ioc, lt::settings_interface const& settings,
	EngineConfig const& config, TargetRegistry& targets, std::shared_ptr<IoBackend> io, Engine** running);

}  // namespace ezio::storage
