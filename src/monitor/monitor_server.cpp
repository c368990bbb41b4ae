#include "monitor/monitor_server.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "monitor/daemon_metrics.hpp"
#include "monitor/status_page.hpp"
#include "monitor/torrent_view.hpp"

namespace ezio::monitor {

Expected<std::unique_ptr<MonitorServer>> MonitorServer::start(std::string const& address, int port,
	api::Controller& controller)
{
	std::map<std::string, HttpHandler> routes;
	routes["/metrics"] = [&controller](HttpRequest const&) {
		return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
			render_metrics(controller.torrent_status({}), controller.engine_figures()), {}};
	};
	routes["/api/status"] = [&controller](HttpRequest const& request) {
		auto const torrents = controller.torrent_status({});
		nlohmann::json status = status_json(torrents, controller.engine_figures());
		auto const pieces = request.params.find("pieces");
		if (pieces != request.params.end() && pieces->second == "1") {
			for (auto& t : status["torrents"]) {
				auto map = controller.piece_map(t["hash"].get<std::string>());
				if (map) t["pieces"] = std::move(map.value());  // gone meanwhile: no map
			}
		}
		return HttpResponse{200, "application/json", status.dump(), {{"Cache-Control", "no-store"}}};
	};
	routes["/"] = [](HttpRequest const&) {
		return HttpResponse{200, "text/html; charset=utf-8", std::string(status_page_html()), {}};
	};

	auto server = HttpServer::start(address, port, std::move(routes), "the monitor (--metrics)");
	if (!server) return server.error_value();
	std::unique_ptr<MonitorServer> monitor(new MonitorServer());
	monitor->m_server = std::move(server.value());
	spdlog::info("metrics on http://{}:{}/metrics, status page on http://{}:{}/", address, monitor->port(), address,
		monitor->port());
	return monitor;
}

}  // namespace ezio::monitor
