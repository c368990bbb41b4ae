#include "daemon/session_ports.hpp"

#include <memory>

#include <fmt/format.h>

#include "daemon/target_stamp.hpp"
#include "storage/engine.hpp"

namespace ezio::daemon {

void SessionPorts::ask_resume_data(lt::sha1_hash const& info_hash)
{
	m_torrents.with(info_hash, [](TorrentRecord& r) { r.handle.save_resume_data(); });
}

void SessionPorts::stop(lt::sha1_hash const& info_hash)
{
	// Paused by the alert thread, which a worker must not wait for.
	m_torrents.pause_later(info_hash);
	m_alerts.wake();
}

Status SessionPorts::sync_files(lt::sha1_hash const& info_hash)
{
	std::shared_ptr<lt::torrent_info const> info;
	std::string save_path;
	m_torrents.with(info_hash, [&](TorrentRecord const& r) {
		info = r.info;
		save_path = r.io_path();
	});
	if (!info) return Error{"the torrent is not in the daemon's table", Errc::internal};
	lt::file_storage const& files = info->files();
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f)) continue;
		if (auto const synced = m_env.sync_file(files.file_path(f, save_path)); !synced) return synced;
	}
	return Ok{};
}

void SessionPorts::sync(lt::sha1_hash const& info_hash, std::function<void(Status const&)> done)
{
	storage::Engine* const engine = m_engine;
	bool has_target = false;
	m_torrents.with(info_hash, [&](TorrentRecord const& r) { has_target = r.opened != nullptr; });
	if (!has_target) {  // -F mode: libtorrent's storage wrote the files
		done(sync_files(info_hash));
		return;
	}
	if (engine == nullptr) {
		done(Error{"the engine has stopped, so the target cannot be synced", Errc::failed_precondition});
		return;
	}
	Status const started = engine->sync(info_hash, [done](lt::storage_error const& e) {
		if (e) done(Error{fmt::format("fdatasync of the target failed: {}", e.ec.message()), Errc::io});
		else done(Ok{});
	});
	if (!started) done(Error{fmt::format("{}, so it cannot be synced", started.error()), Errc::failed_precondition});
}

std::string SessionPorts::stamp(lt::sha1_hash const& info_hash)
{
	std::shared_ptr<storage::Target> opened;
	std::shared_ptr<lt::torrent_info const> info;
	std::string path;
	m_torrents.with(info_hash, [&](TorrentRecord const& r) {
		opened = r.opened;
		info = r.info;
		path = r.save_path;
	});
	if (!info) return {};
	return write_stamp(opened, *info, path, false);
}

}  // namespace ezio::daemon
