// Daemon: the session's setup and teardown, the wiring of its units, and
// the control plane's calls (add, status, pause and resume, memory budget,
// shutdown).
#include "daemon/daemon.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_status.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/version.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/session_settings.hpp"
#include "storage/engine.hpp"
#include "storage/uring_io.hpp"
#include "swarm/peer_rules.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::daemon {

namespace {

// AddTorrent's registration is undone on every early return.
struct AbortAddUnlessDone {
	TorrentTable& table;
	bool done = false;
	~AbortAddUnlessDone()
	{
		if (!done) table.abort_add();
	}
};

}  // namespace

Daemon::Daemon(Options const& options, std::unique_ptr<FileFence> fence)
	: m_options(options), m_fence(std::move(fence)), m_durability(options.state_dir, m_ports, m_ports)
{
	// None of libtorrent's default plugins for the session: peers come from
	// the tracker and AddTorrent alone, so no PEX (a peer's PEX message would
	// make the daemon call any address it names), and every torrent is added
	// with its metadata, so no ut_metadata. Smart ban is added per torrent.
	lt::session_params params(lan_settings(options), {});
	if (!options.file_mode) {
		// io_uring won or tied every bench/engine scenario (bench/RESULTS.md);
		// pread/pwrite remains for kernels that do not allow io_uring.
		std::unique_ptr<storage::IoBackend> io;
		if (options.io_backend != "psync") {
			auto uring = storage::make_uring_io();
			if (uring) io = std::move(uring.value());
			else if (options.io_backend == "uring") throw std::runtime_error(uring.error());
			else spdlog::warn("{}; using pread/pwrite", uring.error());
		}
		m_io_backend = io ? "uring" : "psync";
		if (!io) io = storage::make_posix_io();
		params.disk_io_constructor = [this, io = std::shared_ptr<storage::IoBackend>(std::move(io))](
										 lt::io_context& ioc, lt::settings_interface const& settings, lt::counters&) {
			storage::EngineConfig config;
			config.threads = m_options.aio_threads;
			return storage::make_engine(ioc, settings, config, m_targets, io, &m_engine);
		};
	}
	try {
		m_session = std::make_unique<lt::session>(std::move(params));
	} catch (std::exception const& e) {
		throw std::runtime_error(fmt::format("cannot start the BitTorrent session: {}", e.what()));
	}
	rate_limit_local_peers(*m_session);
	if (options.file_mode && options.companion && !options.state_dir.empty())
		m_companions = std::make_unique<CompanionSeeder>(*m_session, options.state_dir + "/companions");
	restrict_peers(*m_session, options.peer_filter);

	if (!options.file_mode && options.companion)
		m_companion_client = std::make_unique<CompanionClient>(
			CompanionClient::Parts{*m_session, m_targets, m_engine, m_torrents});
	m_handler = std::make_unique<AlertHandler>(AlertHandler::Parts{m_options, *m_session, m_torrents, m_durability,
		m_engine, [this] { return torrent_status({}); }, m_companion_client.get()});
	m_session->set_alert_notify([this] { m_alerts.wake(); });
	m_alerts.start({
		[this](std::vector<lt::alert*>& alerts) { m_session->pop_alerts(&alerts); },
		[this](lt::alert const* alert) { m_handler->handle(alert); },
		[this] { m_handler->after_alerts(); },
		[this] { return m_handler->until_next_task(); },
	});

	spdlog::info("ezio {} started: {} mode, BitTorrent port {}, cache {} MiB, {} I/O threads", ezio::version(),
		options.file_mode ? "file (-F)" : fmt::format("raw ({} I/O)", m_io_backend), options.port,
		options.cache_size_mb, options.aio_threads);
}

Daemon::~Daemon()
{
	shutdown();
}

Status Daemon::check_target_unused(AddTorrentRequest const& request, storage::Target const& target)
{
	storage::TargetIdentity const identity = target.identity();
	Status unused = Ok{};
	m_torrents.for_each([&](lt::sha1_hash const& other_hash, TorrentRecord const& record) {
		if (!unused || !record.opened || record.opened->identity() != identity) return;
		// Seeding one image for several torrents is fine; writing is not.
		if (record.writes_target || !request.seeding_mode)
			unused = Error{fmt::format("target '{}' is already used by torrent {} ('{}')", request.save_path,
				to_hex(other_hash), record.name), Errc::failed_precondition};
	});
	return unused;
}

Expected<std::string> Daemon::add_torrent(AddTorrentRequest const& request)
{
	MutexLock add_lock(m_add_mutex);
	if (!m_session) return Error{"the daemon is shutting down", Errc::failed_precondition};

	auto info = torrent::load_torrent(request.torrent);
	if (!info) return Error{info.error(), Errc::invalid_argument};
	std::shared_ptr<lt::torrent_info> const& ti = *info;
	std::string const name = ti->name();
	auto peers = m_admission.check_request(request);
	if (!peers) return peers.error_value();

	lt::sha1_hash const info_hash = ti->info_hashes().v1;
	std::string const hash = to_hex(info_hash);
	// From here on the tracker knows the torrent: its first announce may
	// reach our own tracker before it is registered.
	if (auto const fresh = m_torrents.begin_add(info_hash, name); !fresh) return fresh.error_value();
	AbortAddUnlessDone adding{m_torrents};
	auto prepared = m_admission.prepare_target(request, *ti);
	if (!prepared) return prepared.error_value();
	if (prepared->target)
		if (auto const unused = check_target_unused(request, *prepared->target); !unused) return unused.error_value();

	Admission::StartPlan plan;
	if (!request.seeding_mode) {
		// Whatever other torrents recorded for this target is about to be
		// overwritten: gone before the first write.
		m_durability.store().claim_target(info_hash, prepared->key);
		plan = m_admission.plan_start(request, *ti, *prepared);
	}
	if (prepared->target)
		m_targets.put(info_hash, storage::PreparedTarget{prepared->target, plan.check, prepared->chunks});

	// A new set of parameters: of a record, only its piece bitmap is used.
	lt::add_torrent_params params;
	params.have_pieces = std::move(plan.have);
	params.ti = ti;
	params.save_path = prepared->io_path.empty() ? request.save_path : prepared->io_path;
	// Not auto-managed: libtorrent's queueing would hold back torrents past
	// its active limits, and a deployment wants all of them running.
	params.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused);
	params.flags |= lt::torrent_flags::duplicate_is_error | lt::torrent_flags::disable_pex;
	swarm::PeerPolicy policy{request.max_uploads, request.max_connections, request.seeding_mode, m_options.super_seed,
		std::move(peers.value()), !prepared->chunks, fmt::format("torrent {} '{}'", hash, name)};
	auto peer_rules = std::make_shared<swarm::TorrentPeers>(policy, params);
	if (request.seeding_mode) {
		// Trust the data: mark every piece verified so nothing is hashed.
		params.flags |= lt::torrent_flags::seed_mode;
		// Raw mode: the engine's own seed. -F: libtorrent hashes each piece
		// the first time a peer asks for it, so a damaged file (a chunk
		// store with a flipped byte) is found, not served.
		if (!m_options.file_mode) params.verified_pieces.resize(ti->num_pieces(), true);
	}
	if (request.sequential_download) params.flags |= lt::torrent_flags::sequential_download;
	else params.flags &= ~lt::torrent_flags::sequential_download;
	int const claimed_pieces = params.have_pieces.count();
	// A Clonezilla-layout torrent this daemon writes waits a moment for a
	// companion's advert before it asks for anything (CompanionClient).
	bool const held = m_companion_client && !request.seeding_mode && policy.clonezilla_layout && claimed_pieces == 0;
	if (held) params.flags |= lt::torrent_flags::upload_mode;

	lt::error_code ec;
	lt::torrent_handle handle = m_session->add_torrent(std::move(params), ec);
	if (ec) {
		m_targets.take(info_hash);
		return Error{fmt::format("libtorrent refused torrent '{}': {}", name, ec.message()), Errc::internal};
	}

	TorrentRecord r;
	r.handle = handle;
	r.name = name;
	r.info = ti;
	r.opened = prepared->target;
	r.chunks = prepared->chunks;
	r.claims_to_verify = plan.check == storage::StartCheck::verify_record ? claimed_pieces : 0;
	peer_rules->attach(handle);
	std::shared_ptr<swarm::CompanionLink> const companion = peer_rules->companion();
	if (held) m_companion_client->hold(info_hash, handle, companion);
	r.peers = std::move(peer_rules);
	r.writes_target = !request.seeding_mode;
	r.save_path = request.save_path;
	r.fenced = prepared->fenced;
	adding.done = true;
	m_torrents.finish_add(info_hash, std::move(r));
	// After the record: the finish it may begin at once (a target complete
	// from its resume record) syncs through it.
	m_durability.add(info_hash, name, prepared->key, !request.seeding_mode);
	m_handler->start_ramp();
	m_alerts.wake();

	spdlog::info("added torrent {} '{}': {} {} ({} pieces of {} KiB, {} extents, {} bytes)", hash, name,
		request.seeding_mode ? "seeding from" : "downloading to", request.save_path, ti->num_pieces(),
		ti->piece_length() / 1024, ti->num_files(), ti->total_size());
	if (!plan.log.empty()) spdlog::info("torrent {} '{}' {}", hash, name, plan.log);
	// A -F seed of a Clonezilla torrent (a btzone directory) also seeds
	// its companion, once made.
	// Any other source of one says it has none, so clients need not wait.
	if (m_companions && request.seeding_mode && companion)
		m_companions->seed_companion_of(ti, prepared->io_path.empty() ? request.save_path : prepared->io_path,
			std::move(policy), companion);
	else if (request.seeding_mode && companion)
		companion->decline();
	return hash;
}

std::vector<TorrentStatus> Daemon::torrent_status(std::vector<std::string> const& hashes)
{
	if (!m_session) return {};
	auto const statuses = m_session->get_torrent_status([](lt::torrent_status const&) { return true; },
		lt::torrent_handle::query_name | lt::torrent_handle::query_save_path | lt::torrent_handle::query_pieces);

	return m_torrents.status(statuses, hashes, m_durability.gates(),
		m_companion_client ? m_companion_client->stand_ins() : std::map<lt::sha1_hash, TorrentTable::StandIn>{});
}

bool Daemon::has_torrent(lt::sha1_hash const& info_hash)
{
	return m_torrents.has(info_hash);
}

Status Daemon::with_torrent(std::string const& hash, std::function<void(TorrentRecord&)> const& action)
{
	auto const info_hash = parse_sha1_hex(hash);
	if (!info_hash) return Error{fmt::format("'{}' is not an info-hash (40 hex digits)", hash), Errc::invalid_argument};
	if (!m_torrents.with(*info_hash, action)) return Error{fmt::format("no torrent {}", hash), Errc::not_found};
	return Ok{};
}

void Daemon::pause_companions(lt::sha1_hash const& t, bool paused)
{
	if (m_companions) m_companions->set_paused(t, paused);
	if (m_companion_client) m_companion_client->set_paused(t, paused);
}

Status Daemon::pause_torrent(std::string const& hash)
{
	Status const paused = with_torrent(hash, [&](TorrentRecord& r) {
		r.handle.pause();
		spdlog::info("paused torrent {} '{}'", hash, r.name);
	});
	if (paused) pause_companions(*parse_sha1_hex(hash), true);
	return paused;
}

Status Daemon::resume_torrent(std::string const& hash)
{
	auto const info_hash = parse_sha1_hex(hash);
	Status const resumed = with_torrent(hash, [&](TorrentRecord& r) {
		// A disk error pauses a torrent; resuming is the user's way to retry.
		r.file_error.clear();
		r.handle.clear_error();
		bool const starts_over = m_durability.restart(*info_hash);  // (with_torrent checked the hash)
		if (starts_over) {
			// What this run wrote may never have reached the disk, and the page
			// cache cannot tell: start over (the engine reports no pieces on a
			// raw target without a record).
			spdlog::info("torrent {} '{}': its last sync failed, so it downloads everything again", hash, r.name);
			// The torrent was finished, and libtorrent's peer list may still
			// think so: it then counts no seed as worth calling and, as it
			// re-counts only while calling someone, never calls one again
			// (libtorrent 2.0.8). A new list with the known peers in it does.
			r.handle.clear_peers();
			r.handle.force_recheck();
		}
		r.handle.resume();
		if (starts_over && r.peers) r.peers->call_again();
		spdlog::info("resumed torrent {} '{}'", hash, r.name);
	});
	if (resumed) pause_companions(*info_hash, false);  // outside the table's lock, as in pause_torrent
	return resumed;
}

Expected<int> Daemon::set_cache_size(int megabytes)
{
	if (m_options.file_mode)
		return Error{"libtorrent's own storage (-F) has no memory budget to change", Errc::failed_precondition};
	auto const budget = api::MemoryBudget::from_mib(megabytes);
	if (!budget) return budget.error_value();
	// The engine reads libtorrent's cache_size whenever the settings change.
	lt::settings_pack pack;
	pack.set_int(lt::settings_pack::cache_size, budget->setting());
	m_session->apply_settings(std::move(pack));
	return megabytes;
}

Expected<std::string> Daemon::piece_map(std::string const& hash)
{
	lt::torrent_handle handle;
	// status() waits for the network thread: not under the lock.
	if (auto const found = with_torrent(hash, [&](TorrentRecord& r) { handle = r.handle; }); !found)
		return found.error_value();
	lt::torrent_status const st = handle.status(lt::torrent_handle::query_pieces);
	std::string map(std::size_t(st.pieces.size()), '0');
	for (lt::piece_index_t i{0}; i < st.pieces.end_index(); ++i)
		if (st.pieces[i]) map[std::size_t(static_cast<int>(i))] = '1';
	return map;
}

EngineFigures Daemon::engine_figures()
{
	EngineFigures f;
	if (m_engine == nullptr) return f;
	f.raw_mode = true;
	f.budget_bytes = m_engine->budget();
	f.budget_used_bytes = m_engine->bytes_in_use();
	f.budget_peak_bytes = m_engine->peak_bytes_in_use();
	f.counters = storage::snapshot(m_engine->stats());
	return f;
}

void Daemon::request_shutdown()
{
	{
		MutexLock lock(m_shutdown_mutex);
		m_shutdown_requested = true;
	}
	m_shutdown_wake.notify_all();
}

void Daemon::wait_for_shutdown_request()
{
	MutexLock lock(m_shutdown_mutex);
	while (!m_shutdown_requested) m_shutdown_wake.wait(lock);
}

void Daemon::shutdown()
{
	std::call_once(m_shutdown_once, [this] {
		save_all_resume_data();
		m_handler->log_session_stats();
		m_alerts.stop();
		// The session's destructor stops every torrent (writing out what the
		// engine holds) and aborts the engine, which syncs every target.
		auto const started = std::chrono::steady_clock::now();
		m_engine = nullptr;
		m_companions.reset();  // finishes a making under way; before the session it adds to
		if (m_companion_client) m_companion_client->stop();  // (the alert thread, which calls it, has stopped)
		m_session.reset();
		m_durability.stop();  // runs what the engine handed it while stopping
		spdlog::info("session stopped in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
			std::chrono::steady_clock::now() - started).count());
	});
}

void Daemon::save_all_resume_data()
{
	if (!m_durability.store().enabled() || !m_session) return;
	// Nothing changes while the records are made.
	m_torrents.for_each([&](lt::sha1_hash const&, TorrentRecord const& record) {
		if (record.writes_target) record.handle.pause();
	});
	if (!m_durability.save_all(std::chrono::steady_clock::now() + std::chrono::seconds(10)))
		spdlog::warn("shutting down before every resume record was written");
}

}  // namespace ezio::daemon
