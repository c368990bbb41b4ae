#include "monitor/monitor_server.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "monitor/daemon_metrics.hpp"
#include "monitor/status_page.hpp"
#include "monitor/torrent_view.hpp"

namespace ezio::monitor {

Expected<std::unique_ptr<MonitorServer>> MonitorServer::start(std::string const& address, int port,
	daemon::Controller& controller)
{
	auto server = std::make_unique<httplib::Server>();
	server->set_payload_max_length(4096);  // everything here is a GET
	server->Get("/metrics", [&controller](httplib::Request const&, httplib::Response& response) {
		response.set_content(render_metrics(controller.torrent_status({}), controller.engine_figures()),
			"text/plain; version=0.0.4; charset=utf-8");
	});
	server->Get("/api/status", [&controller](httplib::Request const& request, httplib::Response& response) {
		auto const torrents = controller.torrent_status({});
		nlohmann::json status = status_json(torrents, controller.engine_figures());
		if (request.get_param_value("pieces") == "1") {
			for (auto& t : status["torrents"]) {
				auto map = controller.piece_map(t["hash"].get<std::string>());
				if (map) t["pieces"] = std::move(map.value());  // gone meanwhile: no map
			}
		}
		response.set_header("Cache-Control", "no-store");
		response.set_content(status.dump(), "application/json");
	});
	server->Get("/", [](httplib::Request const&, httplib::Response& response) {
		std::string_view const html = status_page_html();
		response.set_content(html.data(), html.size(), "text/html; charset=utf-8");
	});

	auto listener = HttpListener::start(std::move(server), address, port, "the monitor (--metrics)");
	if (!listener) return listener.error_value();
	std::unique_ptr<MonitorServer> monitor(new MonitorServer());
	monitor->m_listener = std::move(listener.value());
	spdlog::info("metrics on http://{}:{}/metrics, status page on http://{}:{}/", address, monitor->port(), address,
		monitor->port());
	return monitor;
}

}  // namespace ezio::monitor
