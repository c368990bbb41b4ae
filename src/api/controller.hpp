// The control plane's contract: what the daemon offers the gRPC service,
// the status page and the tests, in plain types. No libtorrent or protobuf
// types cross this line; everything above (rpc/, monitor/) depends on this
// folder only, and the daemon implements it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "api/engine_stats_snapshot.hpp"

namespace ezio::api {

struct AddTorrentRequest {
	std::string torrent;      // the .torrent file's bytes
	std::string save_path;    // block device or image file; directory in -F mode
	bool seeding_mode = false;
	int max_uploads = 0;      // 0 = default (3), -1 = unlimited
	int max_connections = 0;  // 0 = default (5), -1 = unlimited
	bool sequential_download = false;
	std::vector<std::string> peers;  // "IP:PORT" or "[IPv6]:PORT"
	// Without a resume record, hash what the target already holds and
	// download only the pieces that differ (a re-deployment).
	bool verify_target = false;
};

// A torrent's state as the wire carries it (the original EZIO's
// TorrentStatus.state): libtorrent's torrent_status::state_t numbers, which
// docs/api.md lists. 0 and 6 are not used by libtorrent 2.
enum class TorrentState : std::int64_t {
	checking_files = 1,
	downloading_metadata = 2,
	downloading = 3,
	finished = 4,
	seeding = 5,
	checking_resume_data = 7,
};

struct TorrentStatus {
	std::string hash;  // lower-case hex info-hash (v1)
	std::string name;
	double progress = 0;
	std::int64_t download_rate = 0;
	std::int64_t upload_rate = 0;
	std::int64_t active_time = 0;
	bool is_finished = false;  // every piece verified and synced to the target
	std::int64_t num_peers = 0;
	TorrentState state = TorrentState::checking_files;
	std::int64_t total_done = 0;  // bytes on the wire (a chunked torrent's are compressed)
	std::int64_t total = 0;
	std::int64_t num_pieces = 0;
	std::int64_t pieces_total = 0;
	std::int64_t finished_time = 0;
	std::int64_t seeding_time = 0;
	std::int64_t total_payload_download = 0;
	std::int64_t total_payload_upload = 0;
	bool is_paused = false;
	std::string save_path;
	std::int64_t last_upload = -1;    // seconds ago, -1 never
	std::int64_t last_download = -1;  // seconds ago, -1 never
	std::string error;                // empty unless stopped on an error
	std::string warning;              // a problem that does not stop it; empty if none
	// The bytes the torrent writes on the target, of its pieces done and in
	// all: the same as total_done and total for the Clonezilla layout, the
	// used bytes uncompressed for a chunked torrent.
	bool chunked = false;
	std::int64_t disk_done = 0;
	std::int64_t disk_total = 0;
};

// The raw engine's figures: its memory budget and what its I/O did (all
// counters since the daemon started). Zero in -F mode.
struct EngineFigures {
	bool raw_mode = false;  // the raw engine runs (not -F); the rest is zero otherwise
	std::int64_t budget_bytes = 0;
	std::int64_t budget_used_bytes = 0;
	std::int64_t budget_peak_bytes = 0;
	EngineStatsSnapshot counters;
};

class Controller {
public:
	virtual ~Controller() = default;

	// Validates and adds a torrent; returns its info-hash.
	virtual Expected<std::string> add_torrent(AddTorrentRequest const& request) = 0;

	// Status of the torrents whose hashes are listed, or of all if `hashes`
	// is empty. Unknown hashes are left out.
	virtual std::vector<TorrentStatus> torrent_status(std::vector<std::string> const& hashes) = 0;

	virtual Status pause_torrent(std::string const& hash) = 0;
	virtual Status resume_torrent(std::string const& hash) = 0;

	// Sets the raw engine's memory budget (--cache-size) while running;
	// returns the new budget in MiB.
	virtual Expected<int> set_cache_size(int megabytes) = 0;

	// Which pieces the torrent has: one '1' (have) or '0' per piece.
	virtual Expected<std::string> piece_map(std::string const& hash) = 0;

	virtual EngineFigures engine_figures() = 0;

	// Asks the daemon to stop; returns at once.
	virtual void request_shutdown() = 0;
};

}  // namespace ezio::api
