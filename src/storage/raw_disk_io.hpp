// EZIO's libtorrent storage backend: writes torrents straight onto a raw
// partition or image, extent by extent.
//
// This class only translates libtorrent's disk_interface calls into jobs;
// the policy lives in the parts it wires together:
//   BlockPool        the memory budget and write backpressure
//   WorkerPool       threads that own pieces and run every I/O and hash
//   PieceCache       per worker: blocks in memory until their piece is done
//   RawStorage       per torrent: extent map + target + I/O backend
//   CompletionQueue  batched hand-back to the network thread
//
// The daemon does not include this header: it builds the engine with
// make_engine() and talks to it through Engine (storage/engine.hpp).
//
// Thread-safety: disk_interface methods are called by libtorrent's network
// thread only; the Engine methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <vector>

#include <libtorrent/bitfield.hpp>
#include <libtorrent/disk_interface.hpp>
#include <boost/asio/steady_timer.hpp>
#include <libtorrent/io_context.hpp>
#include <libtorrent/settings_pack.hpp>

#include "common/mutex.hpp"
#include "storage/block_pool.hpp"
#include "storage/completion_queue.hpp"
#include "storage/engine.hpp"
#include "storage/engine_stats.hpp"
#include "storage/io_backend.hpp"
#include "storage/raw_storage.hpp"
#include "storage/target_registry.hpp"
#include "storage/worker_pool.hpp"

namespace lt = libtorrent;

namespace ezio::storage {

class RawDiskIO final : public lt::disk_interface, public lt::buffer_allocator_interface, public Engine {
public:
	// `targets` holds the targets the daemon opened for torrents about to be
	// added; a torrent without one gets its save_path opened read-write.
	// `settings` are libtorrent's: their cache_size is the memory budget
	// (api::MemoryBudget), at start and whenever it changes.
	RawDiskIO(lt::io_context& ioc, lt::settings_interface const& settings, EngineConfig const& config,
		TargetRegistry& targets, std::shared_ptr<IoBackend> io);
	~RawDiskIO() override;

	// Engine (storage/engine.hpp)
	Status sync(lt::sha1_hash const& info_hash, std::function<void(lt::storage_error const&)> done) override;
	void verify_at_next_check(lt::sha1_hash const& info_hash) override;
	std::int64_t budget() const override { return m_pool.budget(); }
	std::int64_t bytes_in_use() const override { return m_pool.bytes_in_use(); }
	std::int64_t peak_bytes_in_use() const override { return m_pool.peak_bytes_in_use(); }
	EngineStats const& stats() const override { return m_stats; }

	// lt::disk_interface
	lt::storage_holder new_torrent(lt::storage_params const& params, std::shared_ptr<void> const& torrent) override;
	void remove_torrent(lt::storage_index_t storage) override;
	void async_read(lt::storage_index_t storage, lt::peer_request const& r,
		std::function<void(lt::disk_buffer_holder, lt::storage_error const&)> handler,
		lt::disk_job_flags_t flags) override;
	bool async_write(lt::storage_index_t storage, lt::peer_request const& r, char const* buf,
		std::shared_ptr<lt::disk_observer> observer, std::function<void(lt::storage_error const&)> handler,
		lt::disk_job_flags_t flags) override;
	void async_hash(lt::storage_index_t storage, lt::piece_index_t piece, lt::span<lt::sha256_hash> v2,
		lt::disk_job_flags_t flags,
		std::function<void(lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const&)> handler) override;
	void async_hash2(lt::storage_index_t storage, lt::piece_index_t piece, int offset, lt::disk_job_flags_t flags,
		std::function<void(lt::piece_index_t, lt::sha256_hash const&, lt::storage_error const&)> handler) override;
	void async_move_storage(lt::storage_index_t storage, std::string path, lt::move_flags_t flags,
		std::function<void(lt::status_t, std::string const&, lt::storage_error const&)> handler) override;
	void async_release_files(lt::storage_index_t storage, std::function<void()> handler) override;
	void async_check_files(lt::storage_index_t storage, lt::add_torrent_params const* resume_data,
		lt::aux::vector<std::string, lt::file_index_t> links,
		std::function<void(lt::status_t, lt::storage_error const&)> handler) override;
	void async_stop_torrent(lt::storage_index_t storage, std::function<void()> handler) override;
	void async_rename_file(lt::storage_index_t storage, lt::file_index_t index, std::string name,
		std::function<void(std::string const&, lt::file_index_t, lt::storage_error const&)> handler) override;
	void async_delete_files(lt::storage_index_t storage, lt::remove_flags_t options,
		std::function<void(lt::storage_error const&)> handler) override;
	void async_set_file_priority(lt::storage_index_t storage,
		lt::aux::vector<lt::download_priority_t, lt::file_index_t> prio,
		std::function<void(lt::storage_error const&, lt::aux::vector<lt::download_priority_t, lt::file_index_t>)>
			handler) override;
	void async_clear_piece(lt::storage_index_t storage, lt::piece_index_t index,
		std::function<void(lt::piece_index_t)> handler) override;
	void update_stats_counters(lt::counters& c) const override;
	std::vector<lt::open_file_state> get_status(lt::storage_index_t) const override;
	void abort(bool wait) override;
	void submit_jobs() override;
	void settings_updated() override;

	// lt::buffer_allocator_interface: read buffers come back here.
	void free_disk_buffer(char* buffer) override;

private:
	// A torrent's storage, or why it could not be opened.
	struct Slot {
		std::shared_ptr<RawStorage> storage;
		lt::storage_error open_error;
		StartCheck check = StartCheck::trust_record;
		// While the start check verifies a resume record: the pieces it does
		// not claim, each answered without reading (a zero hash, which no
		// torrent's piece has) when the check asks for it.
		lt::typed_bitfield<lt::piece_index_t> unclaimed;
	};

	// Queues `job` for the worker that owns the piece. Most jobs are handed
	// over at the next submit_jobs() (or when the network thread next runs
	// its queue). Writes (`write_bytes` > 0) wait until a worker has 1 MiB of
	// them, another job, or 20 ms: their handlers complete only with their
	// piece anyway, and waking a worker for every few blocks cost a tenth of
	// the leecher's CPU in wake-ups.
	void post_piece(RawStorage const& storage, lt::piece_index_t piece, Job job, int write_bytes = 0);

	// Hands every queued job to its worker.
	void submit_all();

	// Writes out everything held for `storage` on every worker, then runs
	// `then` on the last worker to finish. Completions queued by the flush
	// reach the network thread before any that `then` adds. Network thread.
	// With `keep_cache` (a sync) the blocks on the target stay as read
	// cache and parked reads wait on (PieceCache::write_storage); without
	// it nothing of the torrent is left in memory (PieceCache::flush_storage).
	void flush_everywhere(std::shared_ptr<RawStorage> const& storage, bool keep_cache,
		std::function<void(Completions&)> then);

	// Writes out everything held for the torrent, then calls `handler` (if
	// any) on the network thread.
	void flush_then(lt::storage_index_t index, std::function<void()> handler);

	// Runs `fn` on the network thread.
	void post_to_network(std::function<void()> fn);

	void on_memory_available(BlockPool::Observers observers);

	lt::io_context& m_ioc;
	lt::settings_interface const& m_settings;
	TargetRegistry& m_targets;
	EngineStats m_stats;
	std::unique_ptr<IoBackend> m_io;  // counts into m_stats
	BlockPool m_pool;
	CompletionQueue m_completions;
	WorkerPool m_workers;

	// Network thread only.
	struct Staged {
		std::vector<Job> jobs;
		std::int64_t write_bytes = 0;
		bool ready = false;  // holds a job that must not wait
	};
	std::vector<Staged> m_staged;  // by worker
	bool m_submit_posted = false;
	boost::asio::steady_timer m_write_timer;
	bool m_write_timer_armed = false;
	// Lets a posted submit notice that the engine is gone.
	std::shared_ptr<RawDiskIO*> m_alive;
	lt::aux::vector<Slot, lt::storage_index_t> m_slots;
	std::vector<lt::storage_index_t> m_free_slots;
	std::uint64_t m_next_storage_id = 1;

	Mutex m_by_hash_mutex;
	std::map<lt::sha1_hash, std::weak_ptr<RawStorage>> m_by_hash EZIO_GUARDED_BY(m_by_hash_mutex);
	std::set<lt::sha1_hash> m_verify_next EZIO_GUARDED_BY(m_by_hash_mutex);  // verify_at_next_check

	std::atomic<bool> m_aborted{false};
	// What update_stats_counters reported last: libtorrent's counters take
	// increments.
	mutable EngineStatsSnapshot m_reported;
	// Set when backpressure starts, so the early write-out of incomplete
	// pieces is requested once per episode.
	std::atomic<bool> m_flush_requested{false};
};

}  // namespace ezio::storage
