// The built-in tracker (`ezio --tracker PORT`): an HTTP server answering
// BitTorrent announces from the SwarmRegistry, so a lab needs no tracker
// software. It hands out peer lists only; it never touches a disk.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"
#include "common/http_server.hpp"
#include "tracker/swarm_registry.hpp"

namespace ezio::tracker {

class TrackerServer {
public:
	struct Config {
		std::string address = "0.0.0.0";
		int port = 6969;  // 0: any free port
		// Short on a LAN: announces are cheap, and a client that ran out of
		// peers to trade with learns of new ones soon.
		std::chrono::seconds interval{30};
		std::chrono::seconds min_interval{5};
		SwarmRegistry::Limits limits;
		// The torrents it tracks (like opentracker with a whitelist): an
		// announce of any other info-hash is refused without remembering
		// anything. Empty: any torrent.
		std::function<bool(lt::sha1_hash const&)> serves;
		HttpLimits http;
	};

	// Binds and starts serving on its own threads (common/http_server.hpp
	// says which limits hold).
	static Expected<std::unique_ptr<TrackerServer>> start(Config const& config);
	~TrackerServer();  // stops serving

	int port() const { return m_server->port(); }
	SwarmRegistry const& registry() const { return m_registry; }

private:
	explicit TrackerServer(Config const& config);
	std::string handle_announce(std::multimap<std::string, std::string> const& params, std::string const& remote);

	// A refusal is logged at most once per 10 s, with how many there were:
	// a flood of bad announces must not flood the log.
	void log_refusal(std::string const& why);

	Config const m_config;
	SwarmRegistry m_registry;
	std::mutex m_log_mutex;
	std::chrono::steady_clock::time_point m_last_refusal_log{};  // guarded by m_log_mutex
	std::int64_t m_refusals_unlogged = 0;                         // guarded by m_log_mutex
	std::unique_ptr<HttpServer> m_server;
};

}  // namespace ezio::tracker
