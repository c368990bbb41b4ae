// AddTorrent's checks and plan, made before anything touches the session:
// whether the request is well formed, whether its target may be written
// (--allow-target, judged on what was opened) and is large enough, and
// which pieces the torrent may count from its resume record
// (docs/resume.md). It knows neither the session nor the other torrents
// (the daemon checks that a target is not in use), so it is tested alone.
//
// Thread-safety: used by the daemon under its add mutex, one AddTorrent at
// a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <libtorrent/bitfield.hpp>
#include <libtorrent/socket.hpp>
#include <libtorrent/torrent_info.hpp>

#include "api/controller.hpp"
#include "chunk/layout.hpp"
#include "common/expected.hpp"
#include "daemon/file_fence.hpp"
#include "daemon/options.hpp"
#include "daemon/resume_store.hpp"
#include "storage/target.hpp"
#include "storage/target_registry.hpp"

namespace ezio::daemon {

class Admission {
public:
	// `fence` fences -F targets (null: raw mode, or a -F daemon that could
	// not make one and has no --allow-target).
	Admission(Options const& options, ResumeStore& resume, FileFence* fence = nullptr)
		: m_options(options), m_resume(resume), m_fence(fence)
	{}

	struct PreparedTarget {
		std::shared_ptr<storage::Target> target;  // raw mode, opened
		TargetKey key;
		std::shared_ptr<chunk::Layout const> chunks;  // a chunked torrent's layout
		// -F mode: the directory as libtorrent reaches it (its fence, if
		// any), and the fence, held as long as the torrent runs.
		std::string io_path;
		std::shared_ptr<FencedDir const> fenced;
	};

	// What a writing torrent starts with: the pieces it may count (trusted
	// or to be verified), per the resume rules (docs/resume.md).
	struct StartPlan {
		lt::typed_bitfield<lt::piece_index_t> have;
		storage::StartCheck check = storage::StartCheck::trust_record;
		std::string log;  // what the start does, for the log; empty if nothing
	};

	// The request's own fields; returns the peers to connect to.
	Expected<std::vector<lt::tcp::endpoint>> check_request(api::AddTorrentRequest const& request) const;
	// The --allow-target policy, on the target's real path (for a raw
	// target: that of the opened descriptor).
	Status check_allowed_target(std::string const& path, std::string const& real_path) const;
	// Checks and opens the target (raw mode) or checks the directory (-F).
	Expected<PreparedTarget> prepare_target(api::AddTorrentRequest const& request, lt::torrent_info const& ti) const;
	// Reads the torrent's resume record, if any, and judges it.
	StartPlan plan_start(api::AddTorrentRequest const& request, lt::torrent_info const& ti,
		PreparedTarget const& prepared);

	// -F seeds: every file of the torrent is in `directory` with its size,
	// or the error names the first that is not (as a path below `shown`,
	// the directory as the caller named it).
	static Status check_seed_files(std::string const& directory, std::string const& shown, lt::torrent_info const& ti);

private:
	Expected<PreparedTarget> prepare_directory(api::AddTorrentRequest const& request, lt::torrent_info const& ti) const;
	Expected<std::shared_ptr<storage::Target>> open_target(api::AddTorrentRequest const& request,
		std::int64_t needed_bytes, std::string const& name) const;

	Options const& m_options;
	ResumeStore& m_resume;
	FileFence* const m_fence;
};

}  // namespace ezio::daemon
