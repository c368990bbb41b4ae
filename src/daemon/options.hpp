// The daemon's command line (docs/api.md, "Flags Clonezilla passes"). Flag names are a contract:
// Clonezilla passes them.
#pragma once

#include <string>
#include <vector>
#include <variant>

#include "api/memory_budget.hpp"

namespace ezio::daemon {

struct Options {
	bool file_mode = false;                  // -F: targets are directories, libtorrent's own storage
	std::string listen = "127.0.0.1:50051";  // -l: gRPC address
	int cache_size_mb = api::MemoryBudget::default_mib;  // the engine's memory budget
	int aio_threads = 16;                    // engine I/O and hashing threads
	bool slow_start = false;                 // ramp the upload limit up from 10 MiB/s
	int slow_start_period = 10;              // seconds per 10 MiB/s step
	int port = 6881;                         // -p: BitTorrent listen port
	bool allow_multiple_connections_per_ip = false;
	double upload_rate_limit_mib = 0;        // MiB/s, 0 = unlimited
	std::string io_backend = "auto";         // raw engine I/O: auto, psync or uring
	std::string auth_token_file;             // required to listen beyond loopback
	std::string api_group;                   // may call without a token, besides root; empty = none
	std::string state_dir = "/var/lib/ezio"; // resume records; empty = none
	std::vector<std::string> allow_targets;  // globs AddTorrent targets must match; empty = any
	std::vector<std::string> peer_filter;    // networks peers may be in (CIDR); empty = any
	int tracker_port = -1;                   // the built-in tracker's HTTP port; -1 = none
	std::string tracker_address = "0.0.0.0"; // where the tracker listens
	bool tracker_any = false;                // track torrents this daemon does not have
	bool super_seed = true;                  // seeds hand out pieces (swarm::PieceHandout)
	bool companion = true;                   // Clonezilla torrents travel as their companion (both halves)
	std::string metrics;                     // --metrics ADDR:PORT (or PORT: loopback); empty = off
	int status_interval = 30;                // seconds between status log lines; 0 = none
};

// Where a daemon keeps its records when --state-dir is not given: the
// default gRPC address keeps /var/lib/ezio; any other -l gets a folder of
// its own below it (`listen-` and the address, '/' and ':' as '_'), so two
// daemons that only -l and -p tell apart never share records.
std::string default_state_dir(std::string const& listen);

// Parses the command line. Returns the options to run with, or the exit
// status to leave with after --help, --version or a usage error (whose
// message has been printed).
std::variant<Options, int> parse_options(int argc, char const* const* argv);

}  // namespace ezio::daemon
