// ezio: the daemon. Parses the command line, starts the session and the gRPC
// server, and runs until SIGINT, SIGTERM or the Shutdown RPC.
#include <grp.h>
#include <sys/resource.h>
#include <malloc.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <thread>

#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include "common/token.hpp"
#include "daemon/daemon.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/file_fence.hpp"
#include "daemon/options.hpp"
#include "rpc/listen_address.hpp"
#include "rpc/rpc_server.hpp"
#include "monitor/monitor_server.hpp"
#include "tracker/tracker_server.hpp"

namespace {

// Waits for SIGINT/SIGTERM on its own thread (they are blocked everywhere
// else) and turns them into a shutdown request.
class SignalWatcher {
public:
	explicit SignalWatcher(ezio::daemon::Daemon& daemon)
		: m_thread([this, &daemon] {
			sigset_t set = signals();
			timespec const tick{0, 100'000'000};
			while (!m_stop.load()) {
				int const sig = sigtimedwait(&set, nullptr, &tick);
				if (sig > 0) {
					spdlog::info("got signal {}, shutting down", sig);
					daemon.request_shutdown();
					return;
				}
			}
		})
	{}
	~SignalWatcher()
	{
		m_stop.store(true);
		m_thread.join();
	}

	static sigset_t signals()
	{
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		return set;
	}

private:
	std::atomic<bool> m_stop{false};
	std::thread m_thread;
};

// Every peer, target and API connection is a file descriptor; systemd's
// default soft limit of 1,024 was exhausted by one flood of connections,
// which stopped the gRPC listener for good. Take what the hard limit
// allows (every server here uses epoll, none select()).
void raise_open_file_limit()
{
	rlimit limit{};
	if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
	rlim_t const before = limit.rlim_cur;
	limit.rlim_cur = limit.rlim_max;
	if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
		spdlog::debug("open file limit raised from {} to {}", before, limit.rlim_cur);
	else
		spdlog::warn("cannot raise the open file limit from {}: {}", before, std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv)
{
	auto parsed = ezio::daemon::parse_options(argc, argv);
	if (auto const* exit_code = std::get_if<int>(&parsed)) return *exit_code;
	auto const& options = std::get<ezio::daemon::Options>(parsed);

	// libtorrent allocates peer receive buffers above glibc's default mmap
	// threshold and frees them soon after, so every recv faulted in fresh,
	// zeroed pages (4 % of a leecher's CPU in bench/engine). Keep such memory
	// in the heap, and give it back only when much of it is free.
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);

	spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
	spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug etc.

	// A mount namespace is the calling thread's until threads share it: the
	// fence comes before any thread starts.
	std::unique_ptr<ezio::daemon::FileFence> fence;
	if (options.file_mode) {
		// A tmpfs of this namespace alone: nothing of it shows on the host.
		auto entered = ezio::daemon::FileFence::enter(
			options.state_dir.empty() ? "/run/ezio-fence" : options.state_dir + "/fence");
		if (entered) {
			fence = std::move(entered.value());
		} else if (!options.allow_targets.empty()) {
			spdlog::critical("{}: without it, --allow-target cannot keep -F torrents inside the allowed "
				"directories (a link below one would lead out)", entered.error());
			return 1;
		} else {
			spdlog::warn("{}: links below -F target directories are refused when a torrent is added, but one "
				"made later would be followed", entered.error());
		}
	}
	raise_open_file_limit();

	// Block the signals before any thread starts, so that every thread
	// inherits the mask and only the watcher receives them.
	sigset_t const set = SignalWatcher::signals();
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
	signal(SIGPIPE, SIG_IGN);

	// The API can make this machine write any disk: off the machine only
	// with a token.
	std::string token;
	if (!options.auth_token_file.empty()) {
		auto read = ezio::read_token_file(options.auth_token_file);
		if (!read) {
			spdlog::critical("{}", read.error());
			return 1;
		}
		token = std::move(read.value());
	}
	if (!ezio::rpc::is_loopback_address(options.listen) && token.empty()) {
		spdlog::critical("refusing to listen on {} without --auth-token-file: anyone who can reach it could make "
			"this machine overwrite its disks", options.listen);
		return 1;
	}

	// Without a token, only root, the daemon's user and --api-group.
	ezio::rpc::AccessPolicy policy;
	policy.token = token;
	if (!options.api_group.empty()) {
		group const* found = ::getgrnam(options.api_group.c_str());
		if (found == nullptr) {
			spdlog::critical("--api-group '{}': no such group", options.api_group);
			return 1;
		}
		policy.api_group = found->gr_gid;
	}

	try {
		ezio::daemon::Daemon daemon(options, std::move(fence));
		// A service asked for that cannot start stops the daemon: better than
		// running without what the admin counts on.
		auto give_up = [&](std::string const& why) {
			spdlog::critical("{}", why);
			daemon.shutdown();
			return 1;
		};
		// The tracker and the monitor start before the API: once a client
		// sees the API answer, everything it asked for is there.
		std::unique_ptr<ezio::tracker::TrackerServer> tracker;
		if (options.tracker_port >= 0) {
			ezio::tracker::TrackerServer::Config config;
			config.port = options.tracker_port;
			config.address = options.tracker_address;
			// A host that runs several daemons may fill several places of an
			// answer; otherwise one (docs/security.md, "Limits in force").
			if (options.allow_multiple_connections_per_ip)
				config.limits.answer_entries_per_address = std::size_t(ezio::tracker::peers_per_answer);
			if (!options.tracker_any)
				config.serves = [&daemon](lt::sha1_hash const& info_hash) { return daemon.has_torrent(info_hash); };
			auto started = ezio::tracker::TrackerServer::start(config);
			if (!started) return give_up(started.error());
			tracker = std::move(started.value());
		}
		std::unique_ptr<ezio::monitor::MonitorServer> monitor;
		if (!options.metrics.empty()) {
			auto const endpoint = ezio::daemon::parse_listen_endpoint(options.metrics);  // checked by the parser
			auto started = ezio::monitor::MonitorServer::start(endpoint->address().to_string(), endpoint->port(),
				daemon);
			if (!started) return give_up(started.error());
			monitor = std::move(started.value());
		}
		auto server = ezio::rpc::RpcServer::start(options.listen, daemon, std::move(policy));
		if (!server) return give_up(server.error());
		spdlog::info("gRPC listening on {}", (*server)->address());
		{
			SignalWatcher watcher(daemon);
			daemon.wait_for_shutdown_request();
		}
		monitor.reset();  // it reads the daemon
		(*server)->shutdown();
		daemon.shutdown();
	} catch (std::exception const& e) {
		spdlog::critical("{}", e.what());
		return 1;
	}
	spdlog::info("bye");
	return 0;
}
