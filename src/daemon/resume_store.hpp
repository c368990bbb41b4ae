// Where the daemon keeps each torrent's progress between runs (--state-dir),
// so that a restarted daemon downloads only what is missing.
//
// Two records per torrent, each the pieces that were on the target plus the
// target they belong to and its write stamp (daemon/target_stamp.hpp):
// - "volatile", written after every finished piece without syncing: the
//   pieces it names are in the kernel's page cache;
// - "durable", written only after the target was fdatasync'ed (at finish,
//   every 30 s while downloading, at shutdown).
//
// A record is a claim, trusted only for data that cannot have changed since
// it was written (docs/resume.md):
// - it is used only for the same torrent and the same target (path, device,
//   inode, size); anything else starts from scratch;
// - a torrent about to write a target deletes every other torrent's records
//   for that target (claim_target);
// - its claimed pieces count as they are only if the target's write stamp
//   is still the one the record was written with (same boot, nobody wrote
//   the target since); otherwise they are verified against the target
//   before they count;
// - only the piece bitmap is taken from a record: priorities, flags, peers
//   and the rest come from the request, so a record can never make a
//   torrent "finished" with fewer pieces than it has.
//
// The directory is locked (flock on DIR/lock) for the store's lifetime: two
// daemons sharing it would overwrite each other's records.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/bitfield.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "common/env.hpp"
#include "common/expected.hpp"
#include "common/mutex.hpp"

namespace ezio::daemon {

// The target a record belongs to.
struct TargetKey {
	std::string path;
	std::uint64_t device = 0;
	std::uint64_t inode = 0;
	std::int64_t size = 0;
	bool operator==(TargetKey const&) const = default;
	// The same device or file, whatever its path or size now.
	bool same_place(TargetKey const& other) const
	{
		return (device == other.device && inode == other.inode) || path == other.path;
	}
};

// What one record file says, once parsed and checked.
struct ParsedRecord {
	lt::sha1_hash info_hash;
	TargetKey target;
	std::string stamp;
	lt::typed_bitfield<lt::piece_index_t> have;  // exactly `num_pieces` long
};

// Parses a record file's bytes. Returns nullopt for anything that is not a
// well-formed record of `info_hash` (hostile or broken input is refused,
// never trusted); `num_pieces` < 0 skips the piece bitmap (claim_target
// only needs the target).
std::optional<ParsedRecord> parse_record(std::string_view data, std::optional<lt::sha1_hash> const& info_hash,
	int num_pieces);

// The pieces a usable record claims, and whether they count as they are.
struct ResumeClaim {
	lt::typed_bitfield<lt::piece_index_t> have;  // exactly the torrent's piece count
	bool trusted = false;  // the target is unchanged since the record was written
	std::string why_verify;  // when not trusted: why, for the log
};

class ResumeStore {
public:
	// An empty `directory` keeps nothing. The directory is created if
	// needed and locked. Throws std::runtime_error if another process holds
	// the lock (a second daemon on the same directory), naming the
	// directory; any other failure only disables the store, with a warning.
	// Its files are written, synced, renamed and removed through `env`.
	explicit ResumeStore(std::string directory, Env& env = Env::system());
	~ResumeStore();
	ResumeStore(ResumeStore const&) = delete;
	ResumeStore& operator=(ResumeStore const&) = delete;

	bool enabled() const { return !m_directory.empty(); }
	std::string const& directory() const { return m_directory; }

	// Stores `params` (from a save_resume_data_alert) for `target`, whose
	// write stamp was `stamp` after the pieces it holds were written. A
	// durable record is on the disk when this returns Ok: file synced, then
	// renamed, then the directory synced. On any failure the record that
	// was there before stays as it was, and no temporary is left.
	Status save(lt::add_torrent_params const& params, TargetKey const& target, std::string const& stamp,
		bool durable);

	// What this torrent's records claim for `target`, whose write stamp is
	// `stamp` now: a trusted record if one is, else the one that claims
	// most. Nullopt if no record applies or none claims a piece.
	std::optional<ResumeClaim> load(lt::sha1_hash const& info_hash, int num_pieces, TargetKey const& target,
		std::string const& stamp) const;

	// Whether the torrent has any record here (nothing is read).
	bool has_records(lt::sha1_hash const& info_hash) const;

	// `info_hash` is about to write `target`: every other torrent's record
	// for the same place describes data that will be overwritten, so it is
	// deleted (and the deletion synced) before any write. Returns how many.
	int claim_target(lt::sha1_hash const& info_hash, TargetKey const& target);

	// Removes the torrent's volatile (or durable) record, if any.
	Status forget(lt::sha1_hash const& info_hash, bool durable);

private:
	std::string path_for(lt::sha1_hash const& info_hash, bool durable) const;
	Status write_atomically(std::string const& path, std::string const& temporary, std::string const& data,
		bool durable) EZIO_REQUIRES(m_mutex);

	std::string m_directory;
	Env& m_env;
	int m_lock_fd = -1;
	Mutex m_mutex;  // one writer at a time per store
	std::uint64_t m_next_temporary EZIO_GUARDED_BY(m_mutex) = 0;
};

}  // namespace ezio::daemon
