// The daemon's monitoring endpoint (`ezio --metrics ADDR:PORT`), read-only:
//   GET /metrics      Prometheus text format (daemon_metrics.hpp)
//   GET /             the live status page (status_page.hpp)
//   GET /api/status   the page's data as JSON; ?pieces=1 adds each
//                     torrent's piece map ("1" have, "0" not yet)
#pragma once

#include <memory>
#include <string>

#include "common/expected.hpp"
#include "common/http_server.hpp"
#include "api/controller.hpp"

namespace ezio::monitor {

class MonitorServer {
public:
	// Serves until destroyed; `controller` must outlive it.
	static Expected<std::unique_ptr<MonitorServer>> start(std::string const& address, int port,
		api::Controller& controller);

	int port() const { return m_server->port(); }

private:
	MonitorServer() = default;
	std::unique_ptr<HttpServer> m_server;
};

}  // namespace ezio::monitor
