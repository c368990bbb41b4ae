// The ezio daemon: one libtorrent session, the torrents in it, and what
// happens to them between AddTorrent and shutdown. Daemon is the control
// plane's front and wires the units; each unit owns its state:
//
// - Admission: AddTorrent's checks and start plan.
// - TorrentTable: what the daemon knows of each torrent beside libtorrent
//   (target, errors, warnings, peer rules), under the table's one mutex.
// - Durability: the durable finish (a torrent counts as finished only once
//   its target was synced after its last piece passed its hash) and the
//   resume records, with its worker thread; reached through SessionPorts.
// - AlertPump and AlertHandler: the alert thread and what it does.
// - swarm::TorrentPeers (in each record): the peer rules.
//
// Threads: the Controller methods may be called from any thread (the gRPC
// server calls them concurrently); the alert thread dispatches libtorrent's
// alerts (AlertHandler); Durability's worker runs the syncs.
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
#include "daemon/admission.hpp"
#include "daemon/alert_handler.hpp"
#include "daemon/alert_pump.hpp"
#include "daemon/companion_client.hpp"
#include "daemon/companion_seeder.hpp"
#include "daemon/durability.hpp"
#include "daemon/options.hpp"
#include "daemon/session_ports.hpp"
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
	// No other torrent writes the target, and none seeds it if this one
	// writes it.
	Status check_target_unused(AddTorrentRequest const& request, storage::Target const& target);

	// Runs `action` on the torrent's record under the table's lock, or says
	// why not.
	Status with_torrent(std::string const& hash, std::function<void(TorrentRecord&)> const& action);

	// T was paused or resumed: its companions (either half) follow. Called
	// outside the table's lock: the companion client takes it under its own.
	void pause_companions(lt::sha1_hash const& t, bool paused);

	// At shutdown: pauses the torrents that write their targets and waits
	// for their durable records.
	void save_all_resume_data();

	Options const m_options;
	std::string m_io_backend;  // the raw engine's: uring or psync
	storage::TargetRegistry m_targets;
	std::unique_ptr<FileFence> const m_fence;  // -F mode's, if it has one
	storage::Engine* m_engine = nullptr;  // owned by the session; null in -F mode
	TorrentTable m_torrents;
	AlertPump m_alerts;  // stopped by shutdown(), before the session
	SessionPorts m_ports{m_torrents, m_alerts, m_engine};
	// Declared before the session, so that it outlives it: the engine hands
	// it sync outcomes until the engine stops. shutdown() stops it after
	// the session.
	Durability m_durability;
	Admission m_admission{m_options, m_durability.store(), m_fence.get()};  // after what it refers to
	std::unique_ptr<lt::session> m_session;
	std::unique_ptr<AlertHandler> m_handler;  // made with the session
	// -F mode with a state directory, unless --no-companion; after the
	// session, so that it goes first.
	std::unique_ptr<CompanionSeeder> m_companions;
	// Raw mode, unless --no-companion: made before the alert handler that
	// calls it, and destroyed after it.
	std::unique_ptr<CompanionClient> m_companion_client;

	Mutex m_add_mutex;  // one AddTorrent at a time: validation and add are one step

	Mutex m_shutdown_mutex;
	CondVar m_shutdown_wake;
	bool m_shutdown_requested EZIO_GUARDED_BY(m_shutdown_mutex) = false;
	std::once_flag m_shutdown_once;
};

}  // namespace ezio::daemon
