// Where the daemon keeps each torrent's progress between runs (--state-dir),
// so that a restarted daemon downloads only what is missing.
//
// Two records per torrent, both libtorrent resume data plus the target they
// belong to:
// - "volatile", written after every finished piece without syncing: the
//   target's data it describes is still in the kernel's page cache, so it
//   holds across a crash of the daemon, but only within the same boot;
// - "durable", written only after the target was fdatasync'ed (at finish,
//   every 30 s while downloading, at shutdown): it holds across a reboot.
// A record is used only for the same torrent and the same target (device or
// file identity and size); anything else starts from scratch.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"

namespace ezio::daemon {

// The target a record belongs to.
struct TargetKey {
	std::string path;
	std::uint64_t device = 0;
	std::uint64_t inode = 0;
	std::int64_t size = 0;
	bool operator==(TargetKey const&) const = default;
};

class ResumeStore {
public:
	// An empty `directory` keeps nothing. The directory is created if needed.
	explicit ResumeStore(std::string directory);

	bool enabled() const { return !m_directory.empty(); }
	std::string const& directory() const { return m_directory; }

	// Stores `params` (from a save_resume_data_alert) for `target`.
	Status save(lt::add_torrent_params const& params, TargetKey const& target, bool durable);

	// The newest usable record for this torrent and target: the volatile one
	// if it is from this boot, else the durable one.
	std::optional<lt::add_torrent_params> load(lt::sha1_hash const& info_hash, TargetKey const& target) const;

	// Removes the torrent's volatile (or durable) record, if any.
	void forget(lt::sha1_hash const& info_hash, bool durable);

	// This boot's identity (/proc/sys/kernel/random/boot_id).
	static std::string boot_id();

private:
	std::string path_for(lt::sha1_hash const& info_hash, bool durable) const;
	std::optional<lt::add_torrent_params> read(std::string const& path, lt::sha1_hash const& info_hash,
		TargetKey const& target, bool require_this_boot) const;

	std::string m_directory;
	std::string m_boot_id;
	std::mutex m_mutex;  // one writer at a time per store
};

}  // namespace ezio::daemon
