#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/extensions/smart_ban.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_stats.hpp>
#include <libtorrent/torrent_status.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/version.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/session_settings.hpp"
#include "daemon/target_stamp.hpp"
#include "api/torrent_phase.hpp"
#include "storage/extent_map.hpp"
#include "storage/raw_disk_io.hpp"
#include "swarm/handout_plugin.hpp"
#include "swarm/silent_peers.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::daemon {

namespace {

constexpr int default_max_uploads = 3;      // the original EZIO's defaults
constexpr int default_max_connections = 5;

std::int64_t seconds_since(lt::time_point when)
{
	if (when == lt::time_point()) return -1;
	return std::chrono::duration_cast<std::chrono::seconds>(lt::clock_type::now() - when).count();
}

// fdatasync of every file of a torrent in -F mode, where libtorrent's own
// storage wrote them. Returns an error message, empty on success.
std::string sync_files(lt::torrent_handle const& handle)
{
	auto const info = handle.torrent_file();
	if (!info) return "the torrent has no metadata";
	std::string const save_path = handle.status(lt::torrent_handle::query_save_path).save_path;
	lt::file_storage const& files = info->files();
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f)) continue;
		std::string const path = files.file_path(f, save_path);
		int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0) return fmt::format("cannot open '{}' to sync it: {}", path, std::strerror(errno));
		int const rc = ::fdatasync(fd);
		int const err = errno;
		::close(fd);
		if (rc != 0) return fmt::format("fdatasync of '{}' failed: {}", path, std::strerror(err));
	}
	return {};
}

}  // namespace

Daemon::Daemon(Options const& options) : m_options(options), m_resume(options.state_dir)
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
			config.cache_bytes = std::int64_t(m_options.cache_size_mb) << 20;
			config.threads = m_options.aio_threads;
			auto engine = std::make_unique<storage::RawDiskIO>(ioc, settings, config, m_targets, io);
			m_engine = engine.get();
			return engine;
		};
	}
	try {
		m_session = std::make_unique<lt::session>(std::move(params));
	} catch (std::exception const& e) {
		throw std::runtime_error(fmt::format("cannot start the BitTorrent session: {}", e.what()));
	}
	rate_limit_local_peers(*m_session);
	restrict_peers(*m_session, options.peer_filter);
	if (options.slow_start) m_slow_start.emplace(std::chrono::seconds(options.slow_start_period));

	m_session->set_alert_notify([this] {
		{
			std::lock_guard<std::mutex> lock(m_alert_mutex);
			m_alerts_ready = true;
		}
		m_alert_wake.notify_one();
	});
	m_alert_thread = std::thread([this] { alert_loop(); });

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
	std::lock_guard<std::mutex> lock(m_mutex);
	for (auto const& [other_hash, record] : m_torrents) {
		if (!record.opened || record.opened->identity() != identity) continue;
		// Seeding one image for several torrents is fine; writing is not.
		if (record.writes_target || !request.seeding_mode)
			return Error{fmt::format("target '{}' is already used by torrent {} ('{}')", request.save_path,
				to_hex(other_hash), record.name), Errc::failed_precondition};
	}
	return Ok{};
}

Expected<std::string> Daemon::add_torrent(AddTorrentRequest const& request)
{
	std::lock_guard<std::mutex> add_lock(m_add_mutex);
	if (!m_session) return Error{"the daemon is shutting down", Errc::failed_precondition};

	auto info = torrent::load_torrent(request.torrent);
	if (!info) return Error{info.error(), Errc::invalid_argument};
	std::shared_ptr<lt::torrent_info> const& ti = *info;
	std::string const name = ti->name();
	auto peers = m_admission.check_request(request);
	if (!peers) return peers.error_value();

	lt::sha1_hash const info_hash = ti->info_hashes().v1;
	std::string const hash = to_hex(info_hash);
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		if (m_torrents.count(info_hash) != 0)
			return Error{fmt::format("torrent {} ('{}') is already added", hash, name), Errc::already_exists};
		m_finished_early.erase(info_hash);
	}
	auto prepared = m_admission.prepare_target(request, *ti);
	if (!prepared) return prepared.error_value();
	if (prepared->target)
		if (auto const unused = check_target_unused(request, *prepared->target); !unused) return unused.error_value();

	Admission::StartPlan plan;
	if (!request.seeding_mode) {
		// Whatever other torrents recorded for this target is about to be
		// overwritten: gone before the first write.
		m_resume.claim_target(info_hash, prepared->key);
		plan = m_admission.plan_start(request, *ti, *prepared);
	}
	if (prepared->target) m_targets.put(info_hash, storage::PreparedTarget{prepared->target, plan.check});

	// A new set of parameters: of a record, only its piece bitmap is used.
	lt::add_torrent_params params;
	params.have_pieces = std::move(plan.have);
	params.ti = ti;
	params.save_path = request.save_path;
	// Not auto-managed: libtorrent's queueing would hold back torrents past
	// its active limits, and a deployment wants all of them running.
	params.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused);
	params.flags |= lt::torrent_flags::duplicate_is_error | lt::torrent_flags::disable_pex;
	// Finds the peer that sent a corrupt block and bans it alone.
	params.extensions.push_back(lt::create_smart_ban_plugin);
	// Closes connections that neither say what they have nor want anything.
	params.extensions.push_back(swarm::silent_peers_plugin());
	if (request.seeding_mode) {
		// Trust the data: mark every piece verified so nothing is hashed.
		params.flags |= lt::torrent_flags::seed_mode;
		if (m_options.super_seed)
			params.extensions.push_back(swarm::handout_plugin(ti->num_pieces(), ti->piece_length()));
		params.verified_pieces.resize(ti->num_pieces(), true);
	}
	if (request.sequential_download) params.flags |= lt::torrent_flags::sequential_download;
	else params.flags &= ~lt::torrent_flags::sequential_download;
	params.max_uploads = request.max_uploads == 0 ? default_max_uploads : request.max_uploads;
	params.max_connections = request.max_connections == 0 ? default_max_connections : request.max_connections;
	params.peers = peers.value();
	int const claimed_pieces = params.have_pieces.count();

	{
		// Its first announce may reach our own tracker before it is registered.
		std::lock_guard<std::mutex> lock(m_mutex);
		m_being_added = info_hash;
	}
	lt::error_code ec;
	lt::torrent_handle handle = m_session->add_torrent(std::move(params), ec);
	bool finished_early = false;
	if (ec) {
		std::lock_guard<std::mutex> lock(m_mutex);
		m_being_added.clear();
		m_targets.take(info_hash);
		return Error{fmt::format("libtorrent refused torrent '{}': {}", name, ec.message()), Errc::internal};
	}

	{
		std::lock_guard<std::mutex> lock(m_mutex);
		Record& r = m_torrents[info_hash];
		r.handle = handle;
		r.name = name;
		r.info = ti;
		r.opened = prepared->target;
		r.claims_to_verify = plan.check == storage::StartCheck::verify_record ? claimed_pieces : 0;
		r.key = prepared->key;
		r.peers = std::move(peers.value());
		r.writes_target = !request.seeding_mode;
		r.durable = request.seeding_mode;  // a seed writes nothing
		r.resume = ResumeRequests(std::chrono::steady_clock::now());
		finished_early = m_finished_early.erase(info_hash) != 0;
		m_being_added.clear();
	}
	if (finished_early) on_torrent_finished(handle);
	{
		std::lock_guard<std::mutex> lock(m_alert_mutex);
		if (m_slow_start && !m_ramp_start) m_ramp_start = std::chrono::steady_clock::now();
	}
	m_alert_wake.notify_one();

	spdlog::info("added torrent {} '{}': {} {} ({} pieces of {} KiB, {} extents, {} bytes)", hash, name,
		request.seeding_mode ? "seeding from" : "downloading to", request.save_path, ti->num_pieces(),
		ti->piece_length() / 1024, ti->num_files(), ti->total_size());
	if (!plan.log.empty()) spdlog::info("torrent {} '{}' {}", hash, name, plan.log);
	return hash;
}

std::vector<TorrentStatus> Daemon::torrent_status(std::vector<std::string> const& hashes)
{
	std::vector<TorrentStatus> result;
	if (!m_session) return result;

	std::set<lt::sha1_hash> wanted;
	for (std::string const& h : hashes)
		if (auto const parsed = parse_sha1_hex(h)) wanted.insert(*parsed);

	auto const statuses = m_session->get_torrent_status([](lt::torrent_status const&) { return true; },
		lt::torrent_handle::query_name | lt::torrent_handle::query_save_path);

	std::lock_guard<std::mutex> lock(m_mutex);
	for (lt::torrent_status const& st : statuses) {
		lt::sha1_hash const info_hash = st.info_hashes.v1;
		if (!hashes.empty() && wanted.count(info_hash) == 0) continue;
		auto const record = m_torrents.find(info_hash);
		bool const durable = record != m_torrents.end() && record->second.durable;

		TorrentStatus t;
		t.hash = to_hex(info_hash);
		t.name = st.name;
		t.progress = st.progress;
		t.download_rate = st.download_payload_rate;
		t.upload_rate = st.upload_payload_rate;
		t.active_time = st.active_duration.count();
		t.num_peers = st.num_peers;
		t.state = static_cast<api::TorrentState>(st.state);
		t.total_done = st.total_done;
		t.total = st.total_wanted;
		t.num_pieces = st.num_pieces;
		t.finished_time = st.finished_duration.count();
		t.seeding_time = st.seeding_duration.count();
		t.total_payload_download = st.total_payload_download;
		t.total_payload_upload = st.total_payload_upload;
		t.is_paused = bool(st.flags & lt::torrent_flags::paused);
		t.save_path = st.save_path;
		t.last_upload = seconds_since(st.last_upload);
		t.last_download = seconds_since(st.last_download);
		if (record != m_torrents.end()) {
			t.pieces_total = record->second.info->num_pieces();
			if (!record->second.sync_error.empty()) t.error = record->second.sync_error;
			else if (st.errc) t.error = !record->second.file_error.empty() ? record->second.file_error : st.errc.message();
		}
		// Every piece, not every wanted one: finished means the whole image.
		t.is_finished = st.is_seeding && durable && t.error.empty();
		result.push_back(std::move(t));
	}
	return result;
}

bool Daemon::has_torrent(lt::sha1_hash const& info_hash)
{
	std::lock_guard<std::mutex> lock(m_mutex);
	return m_torrents.count(info_hash) != 0 || m_being_added == info_hash;
}

Status Daemon::with_torrent(std::string const& hash, std::function<void(Record&)> const& action)
{
	auto const info_hash = parse_sha1_hex(hash);
	if (!info_hash) return Error{fmt::format("'{}' is not an info-hash (40 hex digits)", hash)};
	std::lock_guard<std::mutex> lock(m_mutex);
	auto const it = m_torrents.find(*info_hash);
	if (it == m_torrents.end()) return Error{fmt::format("no torrent {}", hash), Errc::not_found};
	action(it->second);
	return Ok{};
}

Status Daemon::pause_torrent(std::string const& hash)
{
	return with_torrent(hash, [&](Record& r) {
		r.handle.pause();
		spdlog::info("paused torrent {} '{}'", hash, r.name);
	});
}

Status Daemon::resume_torrent(std::string const& hash)
{
	return with_torrent(hash, [&](Record& r) {
		// A disk error pauses a torrent; resuming is the user's way to retry.
		r.file_error.clear();
		r.handle.clear_error();
		bool const starts_over = !r.sync_error.empty();
		if (starts_over) {
			// What this run wrote may never have reached the disk, and the page
			// cache cannot tell: start over (the engine reports no pieces on a
			// raw target without a record).
			spdlog::info("torrent {} '{}': its last sync failed, so it downloads everything again", hash, r.name);
			r.sync_error.clear();
			r.durable = false;
			r.finishing = false;
			// The torrent was finished, and libtorrent's peer list may still
			// think so: it then counts no seed as worth calling and, as it
			// re-counts only while calling someone, never calls one again
			// (libtorrent 2.0.8). A new list with the known peers in it does.
			r.handle.clear_peers();
			r.handle.force_recheck();
		}
		r.handle.resume();
		if (starts_over) call_peers_again(r);
		spdlog::info("resumed torrent {} '{}'", hash, r.name);
	});
}

Expected<int> Daemon::set_cache_size(int megabytes)
{
	if (m_options.file_mode)
		return Error{"libtorrent's own storage (-F) has no memory budget to change", Errc::failed_precondition};
	if (megabytes < 16 || megabytes > (1 << 20)) return Error{fmt::format("{} MiB: the budget must be between 16 MiB and 1 TiB", megabytes)};
	// The engine reads libtorrent's cache_size (16 KiB blocks) whenever the
	// settings change.
	lt::settings_pack pack;
	pack.set_int(lt::settings_pack::cache_size, megabytes * 64);
	m_session->apply_settings(std::move(pack));
	return megabytes;
}

Expected<std::string> Daemon::piece_map(std::string const& hash)
{
	lt::torrent_handle handle;
	// status() waits for the network thread: not under the lock.
	if (auto const found = with_torrent(hash, [&](Record& r) { handle = r.handle; }); !found)
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
		std::lock_guard<std::mutex> lock(m_shutdown_mutex);
		m_shutdown_requested = true;
	}
	m_shutdown_wake.notify_all();
}

void Daemon::wait_for_shutdown_request()
{
	std::unique_lock<std::mutex> lock(m_shutdown_mutex);
	m_shutdown_wake.wait(lock, [this] { return m_shutdown_requested; });
}

void Daemon::shutdown()
{
	std::call_once(m_shutdown_once, [this] {
		save_all_resume_data();
		log_session_stats();
		{
			std::lock_guard<std::mutex> lock(m_alert_mutex);
			m_stopping = true;
		}
		m_alert_wake.notify_one();
		if (m_alert_thread.joinable()) m_alert_thread.join();
		// The session's destructor stops every torrent (writing out what the
		// engine holds) and aborts the engine, which syncs every target.
		auto const started = std::chrono::steady_clock::now();
		m_engine = nullptr;
		m_session.reset();
		spdlog::info("session stopped in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
			std::chrono::steady_clock::now() - started).count());
	});
}

void Daemon::alert_loop()
{
	std::vector<lt::alert*> alerts;
	for (;;) {
		{
			std::unique_lock<std::mutex> lock(m_alert_mutex);
			auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
			if (m_slow_start && m_ramp_start) {
				auto const elapsed = std::chrono::steady_clock::now() - *m_ramp_start;
				auto const next = m_slow_start->next_change_after(elapsed);
				if (next != std::chrono::steady_clock::duration::max())
					deadline = std::min(deadline, std::chrono::steady_clock::now() + next);
			}
			m_alert_wake.wait_until(lock, deadline, [this] { return m_alerts_ready || m_stopping; });
			if (m_stopping) return;
			m_alerts_ready = false;
		}

		m_session->pop_alerts(&alerts);
		for (lt::alert const* a : alerts) handle_alert(a);

		std::vector<lt::sha1_hash> to_pause;
		{
			std::lock_guard<std::mutex> lock(m_mutex);
			to_pause.swap(m_to_pause);
			for (auto const& h : to_pause) {
				auto const it = m_torrents.find(h);
				if (it != m_torrents.end()) it->second.handle.pause();
			}
		}
		update_upload_limit();
		request_periodic_durable_records();
		log_budget_pressure();
		once_a_second();
	}
}

void Daemon::once_a_second()
{
	// The loop runs on every batch of alerts, many times a second while
	// pieces arrive; the torrents' status is asked for once a second.
	auto const now = std::chrono::steady_clock::now();
	if (now - m_last_tick < std::chrono::seconds(1)) return;
	m_last_tick = now;
	std::vector<TorrentStatus> const torrents = torrent_status({});
	break_stalls(torrents, now);
	log_status_periodically(torrents, now);
}

void Daemon::break_stalls(std::vector<TorrentStatus> const& torrents, std::chrono::steady_clock::time_point now)
{
	std::lock_guard<std::mutex> lock(m_mutex);
	for (TorrentStatus const& t : torrents) {
		auto const info_hash = parse_sha1_hex(t.hash);
		auto const it = info_hash ? m_torrents.find(*info_hash) : m_torrents.end();
		if (it == m_torrents.end()) continue;
		Record& r = it->second;
		bool const wants_data = t.state == api::TorrentState::downloading && !t.is_paused && t.error.empty();
		if (!r.stall.update(wants_data, t.total_payload_download, now)) continue;
		spdlog::info("torrent {} '{}': no data for {} s from {} peers; asking the tracker for more and calling the "
			"known ones again", t.hash, r.name, StallWatch::stalled_after.count(), t.num_peers);
		call_peers_again(r);
	}
}

void Daemon::call_peers_again(Record const& r)
{
	r.handle.force_reannounce(0, -1, lt::torrent_handle::ignore_min_interval);
	for (auto const& peer : r.peers) r.handle.connect_peer(peer);
}

void Daemon::log_status_periodically(std::vector<TorrentStatus> const& torrents,
	std::chrono::steady_clock::time_point now)
{
	if (m_options.status_interval <= 0 || now - m_last_status_log < std::chrono::seconds(m_options.status_interval))
		return;
	m_last_status_log = now;
	auto const mib = [](std::int64_t bytes) { return double(bytes) / (1 << 20); };
	for (TorrentStatus const& t : torrents) {
		std::string eta;
		if (std::int64_t const seconds = api::eta_seconds(t); seconds >= 0) eta = fmt::format(", ETA {} s", seconds);
		spdlog::info("torrent {} '{}': {} {:.1f}% ({}/{} pieces), down {:.1f} MiB/s, up {:.1f} MiB/s, {} peer{}{}{}",
			t.hash, t.name, api::torrent_phase(t), 100 * t.progress, t.num_pieces, t.pieces_total, mib(t.download_rate),
			mib(t.upload_rate), t.num_peers, t.num_peers == 1 ? "" : "s", eta, t.error.empty() ? "" : ": " + t.error);
	}
}

void Daemon::log_budget_pressure()
{
	if (m_engine == nullptr) return;
	std::int64_t const events = m_engine->stats().backpressure_events.load(std::memory_order_relaxed);
	auto const now = std::chrono::steady_clock::now();
	// At most one line per 10 s: under pressure this would fire per block.
	if (events == m_backpressure_seen || now - m_last_pressure_log < std::chrono::seconds(10)) return;
	spdlog::warn("memory budget full ({} MiB): peers waited for the disk {} times since the last report; a larger "
		"--cache-size or a faster target helps", m_engine->budget() >> 20, events - m_backpressure_seen);
	m_backpressure_seen = events;
	m_last_pressure_log = now;
}

void Daemon::request_periodic_durable_records()
{
	// While a torrent downloads, a durable record every 30 s bounds what a
	// reboot costs.
	auto const now = std::chrono::steady_clock::now();
	std::vector<lt::sha1_hash> due;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		for (auto const& [hash, r] : m_torrents)
			if (r.writes_target && !r.durable && r.sync_error.empty() && r.resume.periodic_due(now))
				due.push_back(hash);
	}
	for (auto const& hash : due) request_resume(hash, true);
}

void Daemon::handle_alert(lt::alert const* a)
{
	if (auto const* finished = lt::alert_cast<lt::torrent_finished_alert>(a)) {
		on_torrent_finished(finished->handle);
	} else if (auto const* checked = lt::alert_cast<lt::torrent_checked_alert>(a)) {
		on_torrent_checked(checked->handle);
	} else if (auto const* file_error = lt::alert_cast<lt::file_error_alert>(a)) {
		std::string const message = fmt::format("{} of '{}' failed: {}", lt::operation_name(file_error->op),
			file_error->filename(), file_error->error.message());
		spdlog::error("torrent '{}': {}", file_error->torrent_name(), message);
		lt::sha1_hash const info_hash = file_error->handle.info_hashes().v1;
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it != m_torrents.end()) it->second.file_error = message;
	} else if (lt::alert_cast<lt::torrent_error_alert>(a) || lt::alert_cast<lt::listen_failed_alert>(a)
		|| (lt::alert_cast<lt::add_torrent_alert>(a) && static_cast<lt::add_torrent_alert const*>(a)->error)) {
		spdlog::error("{}", a->message());
	} else if (lt::alert_cast<lt::peer_ban_alert>(a) || lt::alert_cast<lt::hash_failed_alert>(a)) {
		spdlog::warn("{}", a->message());  // a peer sent corrupt data
	} else if (lt::alert_cast<lt::listen_succeeded_alert>(a)) {
		spdlog::info("{}", a->message());
	} else if (lt::alert_cast<lt::session_stats_alert>(a)) {
		on_session_stats(a);
	} else if (auto const* piece = lt::alert_cast<lt::piece_finished_alert>(a)) {
		spdlog::debug("{}", a->message());
		request_resume(piece->handle.info_hashes().v1, false);
	} else if (lt::alert_cast<lt::save_resume_data_alert>(a)) {
		on_resume_data(a);
	} else if (lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
		on_resume_failed(a);
	} else if (lt::alert_cast<lt::performance_alert>(a)) {
		spdlog::warn("{}", a->message());
	} else {
		spdlog::debug("{}", a->message());
	}
}

void Daemon::on_torrent_checked(lt::torrent_handle const& handle)
{
	lt::sha1_hash const info_hash = handle.info_hashes().v1;
	int claimed = 0;
	std::string name;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		claimed = std::exchange(it->second.claims_to_verify, 0);
		name = it->second.name;
	}
	if (claimed == 0) return;
	int const verified = handle.status(lt::torrent_handle::status_flags_t{}).num_pieces;
	spdlog::log(verified < claimed ? spdlog::level::warn : spdlog::level::info,
		"torrent {} '{}': {} of the {} pieces its resume record claimed are on the target", to_hex(info_hash), name,
		verified, claimed);
}

void Daemon::on_torrent_finished(lt::torrent_handle const& handle)
{
	lt::sha1_hash const info_hash = handle.info_hashes().v1;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) {
			m_finished_early.insert(info_hash);  // add_torrent calls us again
			return;
		}
		Record& r = it->second;
		if (!r.writes_target) return;
		if (m_resume.enabled() && r.sync_error.empty()) {
			// The durable record's sync is the finishing sync: every piece was
			// written before this alert, so a sync started from now on covers
			// them all (see on_resume_data).
			r.finishing = true;
			request_resume_locked(r, true);
			return;
		}
	}
	sync_target(info_hash, handle, [this, info_hash](std::string const& error) { on_sync_done(info_hash, error); });
}

void Daemon::sync_target(lt::sha1_hash const& info_hash, lt::torrent_handle const& handle,
	std::function<void(std::string const&)> done)
{
	if (m_options.file_mode) {
		done(sync_files(handle));
		return;
	}
	bool const started = m_engine != nullptr && m_engine->sync(info_hash, [done](lt::storage_error const& e) {
		done(e ? fmt::format("fdatasync of the target failed: {}", e.ec.message()) : std::string());
	});
	if (!started) done("the torrent's storage is not open, so it cannot be synced");
}

void Daemon::request_resume(lt::sha1_hash const& info_hash, bool durable)
{
	if (!m_resume.enabled()) return;
	std::lock_guard<std::mutex> lock(m_mutex);
	auto const it = m_torrents.find(info_hash);
	if (it != m_torrents.end()) request_resume_locked(it->second, durable);
}

void Daemon::request_resume_locked(Record& r, bool durable)
{
	// A failed torrent's progress is not trusted (see fail_torrent).
	if (!r.writes_target || !r.sync_error.empty()) return;
	if (r.resume.want(durable)) r.handle.save_resume_data();
}

void Daemon::on_resume_data(lt::alert const* a)
{
	auto const* alert = static_cast<lt::save_resume_data_alert const*>(a);
	lt::sha1_hash const info_hash = alert->params.info_hashes.v1;
	bool durable = false;
	bool failed = false;
	bool finishing = false;
	TargetKey key;
	lt::torrent_handle handle;
	std::shared_ptr<storage::Target> opened;
	std::shared_ptr<lt::torrent_info const> info;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		durable = it->second.resume.in_flight_durable();
		failed = !it->second.sync_error.empty();
		finishing = it->second.finishing;
		key = it->second.key;
		handle = it->second.handle;
		opened = it->second.opened;
		info = it->second.info;
	}
	if (failed) {  // failed meanwhile: its progress is not to be trusted
		resume_written(info_hash);
		return;
	}
	spdlog::debug("torrent {}: resume data with {} pieces ({})", to_hex(info_hash), alert->params.have_pieces.count(),
		durable ? "durable" : "volatile");
	// The stamp is taken after the pieces the record names were written
	// (a durable one: after the sync), so a later write by anybody shows.
	if (!durable) {
		std::string const stamp = write_stamp(opened, *info, key.path, false);
		if (auto const saved = m_resume.save(alert->params, key, stamp, false); !saved)
			spdlog::warn("torrent {}: {}", to_hex(info_hash), saved.error());
		resume_written(info_hash);
		return;
	}
	// Durable: the snapshot is taken; once the target is synced, everything
	// it counts as done is on the disk.
	auto params = std::make_shared<lt::add_torrent_params>(alert->params);
	// Started after the finish, this sync is also the finishing one.
	sync_target(info_hash, handle, [this, info_hash, key, params, opened, info, finishing](std::string const& error) {
		// A failed sync loses data that libtorrent counts as written, and the
		// kernel reports it only once: the torrent has failed.
		if (!error.empty()) {
			fail_torrent(info_hash, error);
		} else if (auto const saved = m_resume.save(*params, key, write_stamp(opened, *info, key.path, false), true);
				   !saved) {
			spdlog::warn("torrent {}: {}", to_hex(info_hash), saved.error());
		}
		// The record first, so a client that sees "finished" and stops the
		// daemon finds it on the disk.
		if (finishing && error.empty()) on_sync_done(info_hash, error);
		resume_written(info_hash);
	});
}

void Daemon::on_resume_failed(lt::alert const* a)
{
	auto const* alert = static_cast<lt::save_resume_data_failed_alert const*>(a);
	spdlog::debug("{}", alert->message());
	lt::sha1_hash const info_hash = alert->handle.info_hashes().v1;
	bool durable = false;
	bool finishing = false;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it != m_torrents.end()) {
			durable = it->second.resume.in_flight_durable();
			finishing = durable && it->second.finishing;
		}
	}
	resume_written(info_hash);
	// No record, but the finish still needs its sync.
	if (finishing)
		sync_target(info_hash, alert->handle, [this, info_hash](std::string const& error) { on_sync_done(info_hash, error); });
}

void Daemon::resume_written(lt::sha1_hash const& info_hash)
{
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it != m_torrents.end()) {
			Record& r = it->second;
			std::optional<bool> const waiting = r.resume.done(std::chrono::steady_clock::now());
			// Under the same lock, so a shutdown waiting for durable records
			// never sees a moment with none pending.
			if (waiting) request_resume_locked(r, *waiting);
		}
	}
	m_resume_wake.notify_all();
}

void Daemon::save_all_resume_data()
{
	if (!m_resume.enabled() || !m_session) return;
	std::vector<lt::sha1_hash> writing;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		for (auto const& [hash, record] : m_torrents) {
			if (!record.writes_target) continue;
			// Nothing changes while the record is made.
			record.handle.pause();
			writing.push_back(hash);
		}
	}
	for (auto const& hash : writing) request_resume(hash, true);
	std::unique_lock<std::mutex> lock(m_mutex);
	bool const written = m_resume_wake.wait_for(lock, std::chrono::seconds(10), [this] {
		return std::none_of(m_torrents.begin(), m_torrents.end(), [](auto const& t) { return t.second.resume.durable_pending(); });
	});
	if (!written) spdlog::warn("shutting down before every resume record was written");
}

void Daemon::on_sync_done(lt::sha1_hash const& info_hash, std::string const& error)
{
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		it->second.finishing = false;
		if (error.empty()) {
			it->second.durable = true;
			spdlog::info("torrent {} '{}' finished: every piece verified and synced to the target", to_hex(info_hash),
				it->second.name);
			return;
		}
	}
	fail_torrent(info_hash, error);
}

void Daemon::fail_torrent(lt::sha1_hash const& info_hash, std::string const& error)
{
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		it->second.durable = false;
		it->second.finishing = false;
		it->second.sync_error = error;
		spdlog::error("torrent {} '{}' failed: {}", to_hex(info_hash), it->second.name, error);
		m_to_pause.push_back(info_hash);
	}
	// What this run wrote may not be on the disk: a restart must not trust
	// the volatile record (the durable one predates the failure).
	m_resume.forget(info_hash, false);
	{
		std::lock_guard<std::mutex> lock(m_alert_mutex);
		m_alerts_ready = true;  // wake the alert thread to pause it
	}
	m_alert_wake.notify_one();
}

void Daemon::log_session_stats()
{
	{
		std::lock_guard<std::mutex> lock(m_stats_mutex);
		m_stats_logged = false;
	}
	m_session->post_session_stats();
	std::unique_lock<std::mutex> lock(m_stats_mutex);
	m_stats_logged_wake.wait_for(lock, std::chrono::seconds(1), [this] { return m_stats_logged; });
}

void Daemon::on_session_stats(lt::alert const* a)
{
	auto const* stats = static_cast<lt::session_stats_alert const*>(a);
	auto const counters = stats->counters();
	auto const value = [&](char const* name) -> std::int64_t {
		int const index = lt::find_metric_idx(name);
		return index < 0 ? -1 : counters[index];
	};
	// One line with fixed names: the benchmarks read it.
	spdlog::info("disk stats: write_ops={} blocks_written={} read_ops={} blocks_read={} blocks_hashed={} "
		"write_time_us={} read_time_us={} hash_time_us={}",
		value("disk.num_write_ops"), value("disk.num_blocks_written"), value("disk.num_read_ops"),
		value("disk.num_blocks_read"), value("disk.num_blocks_hashed"), value("disk.disk_write_time"),
		value("disk.disk_read_time"), value("disk.disk_hash_time"));
	{
		std::lock_guard<std::mutex> lock(m_stats_mutex);
		m_stats_logged = true;
	}
	m_stats_logged_wake.notify_all();
}

void Daemon::update_upload_limit()
{
	std::int64_t const user = std::int64_t(m_options.upload_rate_limit_mib * 1024 * 1024);
	std::int64_t ramp = 0;
	if (m_slow_start) {
		std::lock_guard<std::mutex> lock(m_alert_mutex);
		ramp = m_ramp_start ? m_slow_start->limit_at(std::chrono::steady_clock::now() - *m_ramp_start)
			: SlowStart::step_bytes;
	}
	std::int64_t const limit = std::min<std::int64_t>(combine_limits(user, ramp), INT_MAX);
	if (limit == m_upload_limit) return;
	lt::settings_pack pack;
	pack.set_int(lt::settings_pack::upload_rate_limit, int(limit));
	m_session->apply_settings(std::move(pack));
	m_upload_limit = limit;
	if (limit == 0) spdlog::info("upload rate: unlimited");
	else spdlog::info("upload rate limit: {:.1f} MiB/s", double(limit) / (1 << 20));
}

}  // namespace ezio::daemon
