// The ezio daemon: one libtorrent session, the torrents in it, and what
// happens to them between AddTorrent and shutdown.
//
// It owns the session and its storage engine (EZIO's raw engine, or
// libtorrent's own in -F mode), validates every torrent before it reaches
// libtorrent, reacts to alerts (logs, the durability gate, errors), and runs
// the slow-start ramp.
//
// The durability gate: a torrent counts as finished only once its target has
// been fdatasync'ed after the last piece passed its hash. A failed sync puts
// the torrent in an error state (and pauses it) instead.
//
// Its units, each the owner of its state: Admission (AddTorrent's checks
// and start plan), TorrentTable (the records, under the table's one mutex),
// AlertPump (the alert thread), the durability worker (m_durability: every
// sync and what depends on its outcome) and ResumeStore (the records on
// disk). Daemon wires them and is the control plane's front.
//
// Threads: the Controller methods may be called from any thread (the gRPC
// server calls them concurrently); the alert pump's thread dispatches
// libtorrent's alerts and runs the periodic tasks (alert_loop.cpp); the
// durability worker runs the syncs (durability.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>  // std::once_flag
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/fwd.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "api/controller.hpp"
#include "common/mutex.hpp"
#include "common/serial_worker.hpp"
#include "daemon/admission.hpp"
#include "daemon/alert_pump.hpp"
#include "daemon/options.hpp"
#include "daemon/resume_store.hpp"
#include "daemon/slow_start.hpp"
#include "daemon/torrent_table.hpp"
#include "storage/target_registry.hpp"

namespace ezio::storage {
class Engine;
}

namespace ezio::daemon {

// The daemon implements the control plane's contract and speaks its types.
using api::AddTorrentRequest;
using api::Controller;
using api::EngineFigures;
using api::TorrentStatus;

class Daemon final : public Controller {
public:
	// Starts the session. Throws std::runtime_error if libtorrent cannot
	// start (the daemon has nothing to run then).
	// `fence`: -F mode's (FileFence::enter, made before any thread).
	explicit Daemon(Options const& options, std::unique_ptr<FileFence> fence = nullptr);
	~Daemon() override;
	Daemon(Daemon const&) = delete;
	Daemon& operator=(Daemon const&) = delete;

	Expected<std::string> add_torrent(AddTorrentRequest const& request) override;
	std::vector<TorrentStatus> torrent_status(std::vector<std::string> const& hashes) override;
	Status pause_torrent(std::string const& hash) override;
	Status resume_torrent(std::string const& hash) override;
	Expected<int> set_cache_size(int megabytes) override;
	Expected<std::string> piece_map(std::string const& hash) override;
	EngineFigures engine_figures() override;
	void request_shutdown() override;

	// Whether the torrent was added (and not removed). Any thread; cheap:
	// the tracker asks on every announce.
	bool has_torrent(lt::sha1_hash const& info_hash);

	// Blocks until request_shutdown() is called.
	void wait_for_shutdown_request();

	// Stops the alert thread and the session, leaving every target written
	// out and synced. Idempotent.
	void shutdown();

private:
	void on_torrent_checked(lt::torrent_handle const& handle);

	// No other torrent writes the target, and none seeds it if this one
	// writes it.
	Status check_target_unused(AddTorrentRequest const& request, storage::Target const& target);

	// Runs `action` on the torrent's record under the table's lock, or says
	// why not.
	Status with_torrent(std::string const& hash, std::function<void(TorrentRecord&)> const& action);


	// Resume records: asks libtorrent for the torrent's resume data, to be
	// written as a volatile record, or as a durable one after the target is
	// synced. One request per torrent at a time; more progress meanwhile
	// asks again when it is done.
	void request_resume(lt::sha1_hash const& info_hash, bool durable);
	void request_resume_locked(TorrentRecord& record, bool durable);
	void on_resume_data(lt::alert const* alert);
	void on_resume_failed(lt::alert const* alert);
	void resume_written(lt::sha1_hash const& info_hash);
	// Syncs the torrent's target (engine or files) and calls `done` with the
	// outcome on the durability worker.
	void sync_target(lt::sha1_hash const& info_hash, lt::torrent_handle const& handle,
		std::function<void(Status const&)> done);
	// The finishing sync without a record: sync_target, then on_sync_done.
	void sync_and_finish(lt::sha1_hash const& info_hash, lt::torrent_handle const& handle);
	// At shutdown: pauses the torrents and writes durable records.
	void save_all_resume_data();
	// Puts the torrent in the error state (paused, never finished).
	void fail_torrent(lt::sha1_hash const& info_hash, std::string const& error);
	void request_periodic_durable_records();


	// The alert thread's work (alert_loop.cpp): one alert, and the tasks
	// after each batch of them.
	void handle_alert(lt::alert const* alert);
	void after_alerts();
	// Until the slow-start ramp next changes the upload limit.
	std::chrono::steady_clock::duration until_ramp_changes();
	// The durability gate, when libtorrent says a torrent is complete.
	void on_torrent_finished(lt::torrent_handle const& handle);
	void on_sync_done(lt::sha1_hash const& info_hash, Status const& synced);
	void update_upload_limit();
	// The alert thread's once-a-second work on the torrents' status.
	void once_a_second();
	// Asks the tracker for peers and calls the known ones again for every
	// torrent whose download has stalled (StallWatch).
	void break_stalls(std::vector<TorrentStatus> const& torrents, std::chrono::steady_clock::time_point now);
	// Closes the torrent's connections and forgets its peers (and their
	// failed attempts), asks the tracker for peers now and calls the peers
	// AddTorrent named.
	static void call_peers_again(TorrentRecord const& record);
	// One status line per torrent every --status-interval.
	void log_status_periodically(std::vector<TorrentStatus> const& torrents, std::chrono::steady_clock::time_point now);
	// A warning when the memory budget held peers back.
	void log_budget_pressure();
	// Asks libtorrent for its counters and waits (briefly) until the alert
	// thread has logged them.
	void log_session_stats();
	void on_session_stats(lt::alert const* alert);
	// A piece failed its hash: counted, and a warning once it keeps failing.
	void on_hash_failed(lt::torrent_handle const& handle, lt::piece_index_t piece);

	Options const m_options;
	std::string m_io_backend;  // the raw engine's: uring or psync
	storage::TargetRegistry m_targets;
	ResumeStore m_resume;
	std::unique_ptr<FileFence> const m_fence;  // -F mode's, if it has one
	Admission m_admission{m_options, m_resume, m_fence.get()};  // after what it refers to
	// Where syncs of targets and durable records run, and what follows them
	// (durability.cpp). Declared before the session, so that it outlives it:
	// the engine hands it sync results until the engine stops. shutdown()
	// stops it after the session, while the state its tasks touch lives.
	std::unique_ptr<SerialWorker> m_durability = std::make_unique<SerialWorker>();
	storage::Engine* m_engine = nullptr;  // owned by the session; null in -F mode
	std::unique_ptr<lt::session> m_session;

	Mutex m_add_mutex;  // one AddTorrent at a time: validation and add are one step
	TorrentTable m_torrents;
	AlertPump m_alerts;  // stopped by shutdown(), before the session

	std::optional<SlowStart> m_slow_start;
	Mutex m_ramp_mutex;
	std::optional<std::chrono::steady_clock::time_point> m_ramp_start EZIO_GUARDED_BY(m_ramp_mutex);
	std::int64_t m_upload_limit = -1;  // alert thread only; what the session was last told

	// Used by the alert thread only.
	std::chrono::steady_clock::time_point m_last_tick{};
	std::chrono::steady_clock::time_point m_last_status_log = std::chrono::steady_clock::now();
	std::chrono::steady_clock::time_point m_last_pressure_log{};
	std::int64_t m_backpressure_seen = 0;

	Mutex m_stats_mutex;
	CondVar m_stats_logged_wake;
	bool m_stats_logged EZIO_GUARDED_BY(m_stats_mutex) = false;

	Mutex m_shutdown_mutex;
	CondVar m_shutdown_wake;
	bool m_shutdown_requested EZIO_GUARDED_BY(m_shutdown_mutex) = false;
	std::once_flag m_shutdown_once;
};

}  // namespace ezio::daemon
