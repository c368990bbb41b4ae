#include "daemon/admission.hpp"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "daemon/endpoint.hpp"
#include "daemon/target_stamp.hpp"
#include "storage/extent_map.hpp"

namespace ezio::daemon {

using api::AddTorrentRequest;

Status Admission::check_allowed_target(std::string const& path, std::string const& real_path) const
{
	if (m_options.allow_targets.empty()) return Ok{};
	for (std::string const& pattern : m_options.allow_targets)
		if (::fnmatch(pattern.c_str(), real_path.c_str(), FNM_PATHNAME) == 0) return Ok{};
	return Error{fmt::format("target '{}' ({}) is not allowed: it matches no --allow-target", path, real_path),
		Errc::permission_denied};
}

Expected<std::shared_ptr<storage::Target>> Admission::open_target(AddTorrentRequest const& request,
	std::int64_t needed_bytes, std::string const& name) const
{
	auto const access = request.seeding_mode ? storage::Target::Access::read_only : storage::Target::Access::read_write;
	auto target = storage::Target::open(request.save_path, access);
	if (!target) return Error{target.error(), Errc::failed_precondition};
	// Judged on what was opened, not on what the path named before: no link
	// swapped in, no other mount namespace's view (/proc/PID/root/...).
	if (auto const allowed = check_allowed_target(request.save_path, (*target)->real_path()); !allowed)
		return allowed.error_value();
	if ((*target)->size() < needed_bytes)
		return Error{fmt::format("target '{}' holds {} bytes, but torrent '{}' needs {} (its last extent ends there)",
			request.save_path, (*target)->size(), name, needed_bytes), Errc::failed_precondition};
	return target;
}

Expected<std::vector<lt::tcp::endpoint>> Admission::check_request(AddTorrentRequest const& request) const
{
	if (request.save_path.empty()) return Error{"save_path is empty: say where to write the torrent", Errc::invalid_argument};
	if (request.max_uploads < -1 || request.max_connections < -1)
		return Error{"max_uploads and max_connections must be 0 (default), -1 (unlimited) or positive", Errc::invalid_argument};
	std::vector<lt::tcp::endpoint> peers;
	for (std::string const& p : request.peers) {
		auto const endpoint = parse_endpoint(p);
		if (!endpoint) return Error{fmt::format("peer '{}' is not IP:PORT", p), Errc::invalid_argument};
		peers.push_back(*endpoint);
	}
	return peers;
}

Status Admission::check_seed_files(std::string const& directory, std::string const& shown, lt::torrent_info const& ti)
{
	lt::file_storage const& files = ti.files();
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f)) continue;
		std::string const path = files.file_path(f, directory);
		std::string const named = files.file_path(f, shown);
		struct stat st{};
		if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
			return Error{fmt::format("cannot seed torrent '{}' from '{}': its file '{}' is {} (is '{}' the directory "
				"that holds the torrent's folder '{}'?)", ti.name(), shown, named,
				errno == ENOENT ? "missing" : "not a readable file", shown, ti.name()), Errc::failed_precondition};
		if (st.st_size != files.file_size(f))
			return Error{fmt::format("cannot seed torrent '{}' from '{}': its file '{}' holds {} bytes, the torrent "
				"says {}", ti.name(), shown, named, st.st_size, files.file_size(f)), Errc::failed_precondition};
	}
	return Ok{};
}

Expected<Admission::PreparedTarget> Admission::prepare_directory(AddTorrentRequest const& request,
	lt::torrent_info const& ti) const
{
	// A chunked torrent's files are its chunks as stored (compressed): in
	// -F mode they are read from, or written into, a chunk store
	// (`ezioctl create --store`), never decoded.
	PreparedTarget prepared;
	if (m_fence) {
		auto fenced = m_fence->pin(request.save_path);
		if (!fenced) return fenced.error_value();
		if (auto const allowed = check_allowed_target(request.save_path, (*fenced)->real_path()); !allowed)
			return allowed.error_value();
		prepared.key = TargetKey{request.save_path, std::uint64_t((*fenced)->device()),
			std::uint64_t((*fenced)->inode()), 0};
		prepared.io_path = (*fenced)->path();
		prepared.fenced = std::move(fenced.value());
	} else {
		// No fence (see Daemon): the directory's real path is what can be judged.
		char resolved[PATH_MAX];
		if (::realpath(request.save_path.c_str(), resolved) == nullptr)
			return Error{fmt::format("target '{}' does not exist", request.save_path), Errc::failed_precondition};
		if (auto const allowed = check_allowed_target(request.save_path, resolved); !allowed)
			return allowed.error_value();
		struct stat st{};
		if (::stat(request.save_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
			return Error{fmt::format("'{}' is not a directory; in -F mode the target is a directory "
				"that the extents are written into as files", request.save_path), Errc::failed_precondition};
		prepared.key = TargetKey{request.save_path, std::uint64_t(st.st_dev), std::uint64_t(st.st_ino), 0};
		prepared.io_path = request.save_path;
	}
	// Refused here when the link is there already; one made later fails
	// the transfer (the fence's mount does not follow it).
	if (auto const link = first_link_below(prepared.io_path, ti.files()))
		return Error{fmt::format("torrent '{}' crosses the symbolic link '{}/{}': -F mode never follows a link "
			"below its target directory; remove the link", ti.name(), request.save_path, *link),
			Errc::permission_denied};
	if (request.seeding_mode)
		if (auto const present = check_seed_files(prepared.io_path, request.save_path, ti); !present)
			return present.error_value();
	return prepared;
}

Expected<Admission::PreparedTarget> Admission::prepare_target(AddTorrentRequest const& request, lt::torrent_info const& ti) const
{
	auto chunks = chunk::read_layout(ti);
	if (!chunks) return Error{fmt::format("torrent '{}': {}", ti.name(), chunks.error()), Errc::invalid_argument};
	if (m_options.file_mode) return prepare_directory(request, ti);

	PreparedTarget prepared;
	std::int64_t end = 0;  // where its last byte goes on the target
	if (chunks->has_value()) {
		prepared.chunks = std::make_shared<chunk::Layout const>(std::move(**chunks));
		end = prepared.chunks->disk_end();
	} else {
		auto extents = storage::ExtentMap::build(ti.files());
		if (!extents) return Error{fmt::format("torrent '{}': {}", ti.name(), extents.error()), Errc::invalid_argument};
		end = extents->end().value();
	}
	auto target = open_target(request, end, ti.name());
	if (!target) return target.error_value();
	storage::TargetIdentity const identity = (*target)->identity();
	prepared.key = TargetKey{(*target)->path(), std::uint64_t(identity.device), std::uint64_t(identity.inode),
		(*target)->size()};
	prepared.target = std::move(target.value());
	return prepared;
}

Admission::StartPlan Admission::plan_start(AddTorrentRequest const& request, lt::torrent_info const& ti,
	PreparedTarget const& prepared)
{
	StartPlan plan;
	int const pieces = ti.num_pieces();
	if (request.verify_target) {
		// Whatever a record says: the target is hashed, every piece of it.
		plan.check = storage::StartCheck::verify_all;
		plan.log = fmt::format("hashes every piece the target holds before downloading ({})", m_options.file_mode
			? "libtorrent's check of the files" : fmt::format("{} I/O threads", m_options.aio_threads));
		return plan;
	}
	// The stamp may cost a device sync: only when there is a record to judge.
	if (!m_resume.has_records(ti.info_hashes().v1)) return plan;
	std::string const stamp = write_stamp(prepared.target, ti, request.save_path, true);
	auto claim = m_resume.load(ti.info_hashes().v1, pieces, prepared.key, stamp);
	if (!claim) return plan;
	int const claimed = claim->have.count();
	if (claim->trusted) {
		plan.have = std::move(claim->have);
		plan.log = fmt::format("resumes: {} of {} pieces are already on the target", claimed, pieces);
	} else if (m_options.file_mode) {
		// libtorrent's own storage checks the files itself without a record.
		plan.log = fmt::format("resumes: its record is not trusted ({}); libtorrent checks the files instead",
			claim->why_verify);
	} else {
		plan.have = std::move(claim->have);
		plan.check = storage::StartCheck::verify_record;
		plan.log = fmt::format("resumes: {} of {} pieces are claimed by its record, which is not trusted as it is "
			"({}); hashing those pieces on the target first ({} I/O threads), and only those that match count",
			claimed, pieces, claim->why_verify, m_options.aio_threads);
	}
	return plan;
}

}  // namespace ezio::daemon
