// The built-in tracker (`ezio --tracker PORT`): an HTTP server answering
// BitTorrent announces from the SwarmRegistry, so a lab needs no tracker
// software. It hands out peer lists only; it never touches a disk.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/expected.hpp"
#include "common/http_listener.hpp"
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
	};

	// Binds and starts serving on its own threads.
	static Expected<std::unique_ptr<TrackerServer>> start(Config const& config);
	~TrackerServer();  // stops serving

	int port() const { return m_listener->port(); }
	SwarmRegistry const& registry() const { return m_registry; }

private:
	explicit TrackerServer(Config const& config);
	std::string handle_announce(std::multimap<std::string, std::string> const& params, std::string const& remote);

	Config const m_config;
	SwarmRegistry m_registry;
	std::unique_ptr<HttpListener> m_listener;
};

}  // namespace ezio::tracker
