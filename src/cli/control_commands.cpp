// ezioctl's commands that talk to a running daemon.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace ezio::cli {

namespace {

struct AddOptions {
	std::string torrent_file;
	std::string target;
	bool seed = false;
	int max_uploads = 0;
	int max_connections = 0;
	bool sequential = false;
	std::vector<std::string> peers;
	bool verify_target = false;
};

int run_add(Globals const& g, AddOptions const& o)
{
	std::ifstream in(o.torrent_file, std::ios::binary);
	if (!in) return fail(fmt::format("cannot read '{}'", o.torrent_file));
	AddRequest request;
	request.set_torrent(std::string(std::istreambuf_iterator<char>(in), {}));
	request.set_save_path(o.target);
	request.set_seeding_mode(o.seed);
	request.set_max_uploads(o.max_uploads);
	request.set_max_connections(o.max_connections);
	request.set_sequential_download(o.sequential);
	for (auto const& p : o.peers) request.add_peers(p);
	request.set_verify_target(o.verify_target);
	auto const result = g.client().add(request);
	if (!result) return fail(result.error());
	return 0;
}

int run_status(Globals const& g, std::vector<std::string> const& hashes, bool json)
{
	auto const status = g.client().status(hashes);
	if (!status) return fail(status.error());
	std::fputs((json ? status_json(*status) : status_table(*status)).c_str(), stdout);
	return 0;
}

}  // namespace

int fail(std::string const& message)
{
	std::fprintf(stderr, "ezioctl: %s\n", message.c_str());
	return 1;
}

void add_control_commands(CLI::App& app, Globals& g)
{
	{
		auto o = std::make_shared<AddOptions>();
		CLI::App* sub = app.add_subcommand("add", "Add a torrent to the daemon: download to, or seed from, a target");
		sub->add_option("torrent", o->torrent_file, "The .torrent file")->required();
		sub->add_option("target", o->target, "Block device or image file (a directory for a daemon started with -F)")
			->required();
		sub->add_flag("--seed", o->seed, "The target already holds the data: seed it without hashing");
		sub->add_option("--max-uploads", o->max_uploads, "Peers to upload to at once when --max-connections is -1 (0: 3); under a connection limit every peer that wants data is served");
		sub->add_option("--max-connections", o->max_connections, "Peer connections (0: daemon default 5)");
		sub->add_flag("--sequential", o->sequential, "Download pieces in order");
		sub->add_option("--peer", o->peers, "IP:PORT of a peer to connect to directly (repeatable)");
		sub->add_flag("--verify-target", o->verify_target,
			"The target may already hold (part of) the data: hash it first and download only what differs");
		sub->callback([o, &g] { g.exit_code = run_add(g, *o); });
	}
	{
		auto hashes = std::make_shared<std::vector<std::string>>();
		auto json = std::make_shared<bool>(false);
		CLI::App* sub = app.add_subcommand("status", "Show the daemon's torrents");
		sub->add_option("hashes", *hashes, "Only these info-hashes");
		sub->add_flag("--json", *json, "Every field, as JSON (for scripts)");
		sub->callback([hashes, json, &g] { g.exit_code = run_status(g, *hashes, *json); });
	}
	{
		auto hash = std::make_shared<std::string>();
		CLI::App* sub = app.add_subcommand("pause", "Pause a torrent");
		sub->add_option("hash", *hash, "Info-hash")->required();
		sub->callback([hash, &g] {
			auto const r = g.client().pause(*hash);
			g.exit_code = r ? 0 : fail(r.error());
		});
	}
	{
		auto hash = std::make_shared<std::string>();
		CLI::App* sub = app.add_subcommand("resume", "Resume a torrent (also retries one stopped by a disk error)");
		sub->add_option("hash", *hash, "Info-hash")->required();
		sub->callback([hash, &g] {
			auto const r = g.client().resume(*hash);
			g.exit_code = r ? 0 : fail(r.error());
		});
	}
	{
		auto megabytes = std::make_shared<int>(0);
		CLI::App* sub = app.add_subcommand("cache-size", "Change the daemon's memory budget (MiB) while it runs");
		sub->add_option("megabytes", *megabytes, "The new budget, 16 MiB to 1 TiB")->required();
		sub->callback([megabytes, &g] {
			auto const r = g.client().set_cache_size(*megabytes);
			if (!r) {
				g.exit_code = fail(r.error());
				return;
			}
			std::printf("memory budget: %d MiB\n", *r);
		});
	}
	{
		CLI::App* sub = app.add_subcommand("shutdown", "Stop the daemon (it writes out and syncs everything first)");
		sub->callback([&g] {
			auto const r = g.client().shutdown();
			g.exit_code = r ? 0 : fail(r.error());
		});
	}
	{
		CLI::App* sub = app.add_subcommand("version", "Show the daemon's version");
		sub->callback([&g] {
			auto const v = g.client().version();
			if (!v) {
				g.exit_code = fail(v.error());
				return;
			}
			std::printf("%s\n", v->c_str());
		});
	}
}

}  // namespace ezio::cli
