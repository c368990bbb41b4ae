#include "daemon/options.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "common/version.hpp"
#include "daemon/endpoint.hpp"

namespace ezio::daemon {

std::string default_state_dir(std::string const& listen)
{
	std::string const base = Options{}.state_dir;
	if (listen == Options{}.listen) return base;
	std::string folder = "listen-" + listen;
	for (char& c : folder)
		if (c == '/' || c == ':') c = '_';
	return base + "/" + folder;
}

std::variant<Options, int> parse_options(int argc, char const* const* argv)
{
	Options o;
	CLI::App app{"ezio: deploys disk and partition images to many machines at once over BitTorrent,\n"
		"writing each torrent straight onto its target partition or image. Driven over gRPC\n"
		"(see ezioctl, or Clonezilla).",
		"ezio"};
	app.get_formatter()->column_width(40);

	app.set_version_flag("-v,--version", std::string("ezio ") + version());
	app.add_flag("-F,--file", o.file_mode,
		"File mode: the target of each torrent is a directory and extents are files in it "
		"(libtorrent's default storage; for a chunked torrent, its chunk store). Without -F the target is a block device or an existing image file.");
	app.add_option("-l,--listen", o.listen, "gRPC listen address, ADDR:PORT or unix:PATH")
		->default_str(o.listen);
	app.add_option("--cache-size", o.cache_size_mb, "Memory budget in MiB for every block buffer of the engine")
		->check(CLI::Range(api::MemoryBudget::min_mib, api::MemoryBudget::max_mib))
		->default_str(std::to_string(o.cache_size_mb));
	app.add_option("--aio-threads", o.aio_threads, "Threads for disk I/O and hashing")
		->check(CLI::Range(1, 512))
		->default_str(std::to_string(o.aio_threads));
	app.add_flag("--slow-start", o.slow_start,
		"Ramp the upload limit: 10 MiB/s at first, 10 MiB/s more every --slow-start-period seconds, "
		"unlimited from 100 MiB/s (counted from the first torrent added)");
	app.add_option("--slow-start-period", o.slow_start_period, "Seconds between slow-start steps")
		->check(CLI::Range(1, 3600))
		->default_str(std::to_string(o.slow_start_period));
	app.add_option("-p,--port", o.port, "BitTorrent listen port")
		->check(CLI::Range(0, 65535))
		->default_str(std::to_string(o.port));
	app.add_flag("--allow-multiple-connections-per-ip", o.allow_multiple_connections_per_ip,
		"Accept several peers from one IP address (peers behind NAT, or several daemons on one host)");
	app.add_option("--upload-rate-limit", o.upload_rate_limit_mib, "Upload limit in MiB/s for the whole daemon, 0 = none")
		->check(CLI::NonNegativeNumber)
		->default_str("0");

	app.add_option("--io-backend", o.io_backend,
		"How the raw engine does its I/O: uring (io_uring, buffered), psync (pread/pwrite), or auto: uring "
		"where the kernel allows it, else psync")
		->check(CLI::IsMember({"auto", "psync", "uring"}))
		->default_str(o.io_backend);

	app.add_option("--auth-token-file", o.auth_token_file,
		"File holding a secret token that every API call must carry (ezioctl --token-file). Required to listen "
		"on an address other machines can reach");
	app.add_option("--api-group", o.api_group,
		"Without a token the API obeys only root and the daemon's own user; members of this group may drive it "
		"too (loopback TCP: the caller's user is looked up; unix socket: it is made group-accessible)");
	auto const* state_dir = app.add_option("--state-dir", o.state_dir,
		"Where each torrent's progress is kept, so that a restarted daemon downloads only what is missing "
		"('' keeps nothing); default: /var/lib/ezio, or /var/lib/ezio/listen-ADDRESS for a -l other than "
		"the default");
	app.add_option("--allow-target", o.allow_targets,
		"Only let AddTorrent write to targets whose real path matches this glob (repeatable), e.g. "
		"'/dev/sd[b-z]*' or '/images/*.img'");

	app.add_option("--peer-filter", o.peer_filter,
		"Only exchange data with peers in this network (CIDR, repeatable), e.g. 10.0.0.0/24: connections from "
		"or to any other address are refused")
		->check([](std::string const& text) {
			return parse_network(text) ? std::string() : "'" + text + "' is not ADDRESS/PREFIX or ADDRESS";
		});
	app.add_option("--tracker", o.tracker_port,
		"Also run a BitTorrent tracker on this HTTP port (announce URL http://THIS-HOST:PORT/announce), so the "
		"clients of a lab find each other without tracker software; 0 picks a free port. It tracks only the "
		"torrents added to this daemon (see --tracker-any)")
		->check(CLI::Range(0, 65535));
	app.add_option("--tracker-address", o.tracker_address, "The address the tracker listens on")
		->default_str(o.tracker_address)
		->check(CLI::ValidIPV4);
	app.add_flag("--tracker-any", o.tracker_any,
		"The tracker also tracks torrents this daemon does not have (a tracker-only host); by default it refuses "
		"them, as opentracker with a whitelist does");

	// Two flags rather than CLI11's "--super-seed,!--no-super-seed", whose
	// help text would print the negation's value ("{false}") as if it were
	// the default.
	auto* super_seed = app.add_flag_callback("--super-seed", [&o] { o.super_seed = true; },
		"Seeds (AddTorrent seeding_mode) hand each piece to one client first, one piece per client at a time, "
		"and further copies only of the rarest pieces; the clients spread the rest, so the seeder's link sends "
		"the image little more than once. On by default");
	app.add_flag_callback("--no-super-seed", [&o] { o.super_seed = false; },
		"Seeds serve whatever clients ask for (libtorrent's plain seeding)")
		->excludes(super_seed);

	app.add_flag_callback("--no-companion", [&o] { o.companion = false; },
		"Send Clonezilla-made torrents as they are (docs/format.md, 'The companion transfer'). By default a -F "
		"seed of such a torrent makes its compressed companion once, keeps it under the state directory (about a "
		"third of the used bytes) and offers it, and a raw-mode client fetches the companion instead and checks "
		"the torrent's own hashes on its target");

	app.add_option("--metrics", o.metrics,
		"Serve Prometheus metrics (/metrics) and a live status page (/) over HTTP on ADDR:PORT, or on "
		"127.0.0.1:PORT if only a port is given; read-only")
		->check(
			[](std::string const& text) {
				return parse_listen_endpoint(text) ? std::string()
					: "'" + text + "' is not PORT or IP:PORT (e.g. 9100, or 0.0.0.0:9100 for the whole lab)";
			},
			"ADDR:PORT");
	app.add_option("--status-interval", o.status_interval,
		"Seconds between the one-line status logs of each torrent; 0 = none")
		->check(CLI::Range(0, 86400))
		->default_str(std::to_string(o.status_interval));

	try {
		app.parse(argc, argv);
	} catch (CLI::ParseError const& e) {
		// --help and --version end here too, with status 0; usage errors get 2.
		return app.exit(e) == 0 ? 0 : 2;
	}
	if (state_dir->count() == 0) o.state_dir = default_state_dir(o.listen);
	return o;
}

}  // namespace ezio::daemon
