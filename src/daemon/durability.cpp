// The durability gate and the resume records: a finished torrent is synced
// (one flush barrier, one fdatasync) before it counts as finished, and its
// progress is written as volatile and durable records (docs/resume.md,
// docs/architecture.md "The durability gate"). Part of Daemon; the rules
// of when to ask for a record are ResumeRequests.
#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <libtorrent/alert_types.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "daemon/target_stamp.hpp"
#include "storage/engine.hpp"

namespace ezio::daemon {

namespace {

// fdatasync of every file of a torrent in -F mode, where libtorrent's own
// storage wrote them.
Status sync_files(lt::torrent_handle const& handle)
{
	auto const info = handle.torrent_file();
	if (!info) return Error{"the torrent has no metadata", Errc::internal};
	std::string const save_path = handle.status(lt::torrent_handle::query_save_path).save_path;
	lt::file_storage const& files = info->files();
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f)) continue;
		std::string const path = files.file_path(f, save_path);
		int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0) return Error{fmt::format("cannot open '{}' to sync it: {}", path, std::strerror(errno)), Errc::io};
		int const rc = ::fdatasync(fd);
		int const err = errno;
		::close(fd);
		if (rc != 0) return Error{fmt::format("fdatasync of '{}' failed: {}", path, std::strerror(err)), Errc::io};
	}
	return Ok{};
}

}  // namespace

void Daemon::request_periodic_durable_records()
{
	// While a torrent downloads, a durable record every 30 s bounds what a
	// reboot costs.
	auto const now = std::chrono::steady_clock::now();
	std::vector<lt::sha1_hash> due;
	m_torrents.for_each([&](lt::sha1_hash const& hash, TorrentRecord const& r) {
		if (r.writes_target && !r.gate.finished(true) && !r.gate.failed() && r.resume.periodic_due(now))
			due.push_back(hash);
	});
	for (auto const& hash : due) request_resume(hash, true);
}

void Daemon::on_torrent_finished(lt::torrent_handle const& handle)
{
	lt::sha1_hash const info_hash = handle.info_hashes().v1;
	bool sync_now = false;
	// Not registered yet: add_torrent calls us again.
	m_torrents.with_or_finished_early(info_hash, [&](TorrentRecord& r) {
		if (!r.writes_target || !r.gate.start_finishing()) return;
		// With resume records, the durable record's sync is the finishing
		// sync: every piece was written before this alert, so a sync started
		// from now on covers them all (see on_resume_data).
		if (m_resume.enabled()) request_resume_locked(r, true);
		else sync_now = true;
	});
	if (sync_now) sync_and_finish(info_hash, handle);
}

void Daemon::sync_and_finish(lt::sha1_hash const& info_hash, lt::torrent_handle const& handle)
{
	sync_target(info_hash, handle, [this, info_hash](Status const& synced) { on_sync_done(info_hash, synced); });
}

void Daemon::sync_target(lt::sha1_hash const& info_hash, lt::torrent_handle const& handle,
	std::function<void(Status const&)> done)
{
	// The sync and what follows it (a record written and synced, the torrent
	// marked finished or failed) run on the durability worker: never on the
	// alert thread or a gRPC thread, which would wait for an fdatasync of
	// gigabytes, nor on an engine worker, which would take the daemon's locks
	// while peers wait for the disk.
	if (m_options.file_mode) {
		m_durability->post([handle, done = std::move(done)] { done(sync_files(handle)); });
		return;
	}
	bool const started = m_engine != nullptr && m_engine->sync(info_hash, [this, done](lt::storage_error const& e) {
		Status synced = Ok{};
		if (e) synced = Error{fmt::format("fdatasync of the target failed: {}", e.ec.message()), Errc::io};
		m_durability->post([done, synced = std::move(synced)] { done(synced); });
	});
	if (!started) {
		m_durability->post([done] {
			done(Error{"the torrent's storage is not open, so it cannot be synced", Errc::failed_precondition});
		});
	}
}

void Daemon::request_resume(lt::sha1_hash const& info_hash, bool durable)
{
	if (!m_resume.enabled()) return;
	m_torrents.with(info_hash, [&](TorrentRecord& r) { request_resume_locked(r, durable); });
}

void Daemon::request_resume_locked(TorrentRecord& r, bool durable)
{
	// A failed torrent's progress is not trusted (see fail_torrent).
	if (!r.writes_target || r.gate.failed()) return;
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
	bool const known = m_torrents.with(info_hash, [&](TorrentRecord const& r) {
		durable = r.resume.in_flight_durable();
		failed = r.gate.failed();
		finishing = r.gate.finishing();
		key = r.key;
		handle = r.handle;
		opened = r.opened;
		info = r.info;
	});
	if (!known) return;
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
	sync_target(info_hash, handle, [this, info_hash, key, params, opened, info, finishing](Status const& synced) {
		// A failed sync loses data that libtorrent counts as written, and the
		// kernel reports it only once: the torrent has failed.
		if (!synced) {
			fail_torrent(info_hash, synced.error());
		} else if (auto const saved = m_resume.save(*params, key, write_stamp(opened, *info, key.path, false), true);
				   !saved) {
			spdlog::warn("torrent {}: {}", to_hex(info_hash), saved.error());
		}
		// The record first, so a client that sees "finished" and stops the
		// daemon finds it on the disk.
		if (finishing && synced) on_sync_done(info_hash, synced);
		resume_written(info_hash);
	});
}

void Daemon::on_resume_failed(lt::alert const* a)
{
	auto const* alert = static_cast<lt::save_resume_data_failed_alert const*>(a);
	spdlog::debug("{}", alert->message());
	lt::sha1_hash const info_hash = alert->handle.info_hashes().v1;
	bool finishing = false;
	m_torrents.with(info_hash,
		[&](TorrentRecord const& r) { finishing = r.resume.in_flight_durable() && r.gate.finishing(); });
	resume_written(info_hash);
	// No record, but the finish still needs its sync.
	if (finishing) sync_and_finish(info_hash, alert->handle);
}

void Daemon::resume_written(lt::sha1_hash const& info_hash)
{
	m_torrents.with(info_hash, [&](TorrentRecord& r) {
		std::optional<bool> const waiting = r.resume.done(std::chrono::steady_clock::now());
		// Under the same lock, so a shutdown waiting for durable records
		// never sees a moment with none pending.
		if (waiting) request_resume_locked(r, *waiting);
	});
	m_torrents.notify_resume_done();
}

void Daemon::save_all_resume_data()
{
	if (!m_resume.enabled() || !m_session) return;
	std::vector<lt::sha1_hash> writing;
	m_torrents.for_each([&](lt::sha1_hash const& hash, TorrentRecord const& record) {
		if (!record.writes_target) return;
		// Nothing changes while the record is made.
		record.handle.pause();
		writing.push_back(hash);
	});
	for (auto const& hash : writing) request_resume(hash, true);
	if (!m_torrents.wait_for_durable_records(std::chrono::steady_clock::now() + std::chrono::seconds(10))) spdlog::warn("shutting down before every resume record was written");
}

void Daemon::on_sync_done(lt::sha1_hash const& info_hash, Status const& synced)
{
	if (!synced) {
		fail_torrent(info_hash, synced.error());
		return;
	}
	m_torrents.with(info_hash, [&](TorrentRecord& r) {
		bool const was_finishing = r.gate.finishing();
		r.gate.finishing_synced(synced);
		if (was_finishing && r.gate.finished(true))
			spdlog::info("torrent {} '{}' finished: every piece verified and synced to the target", to_hex(info_hash),
				r.name);
	});
}

void Daemon::fail_torrent(lt::sha1_hash const& info_hash, std::string const& error)
{
	bool const known = m_torrents.with(info_hash, [&](TorrentRecord& r) {
		r.gate.fail(error);
		spdlog::error("torrent {} '{}' failed: {}", to_hex(info_hash), r.name, error);
	});
	if (!known) return;
	m_torrents.pause_later(info_hash);
	// What this run wrote may not be on the disk: a restart must not trust
	// the volatile record (the durable one predates the failure).
	if (auto const forgotten = m_resume.forget(info_hash, false); !forgotten) {
		// It would claim pieces that may not be on the disk, with a stamp
		// that may still match: say so loudly.
		spdlog::error("torrent {}: the volatile resume record must go and cannot: {}; delete it before the next "
			"start", to_hex(info_hash), forgotten.error());
	}
	m_alerts.wake();  // the alert thread pauses it
}

}  // namespace ezio::daemon
