#include "tracker/tracker_server.hpp"

#include <fmt/format.h>
#include <libtorrent/error_code.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"

namespace ezio::tracker {

TrackerServer::TrackerServer(Config const& config) : m_config(config), m_registry(config.limits) {}

Expected<std::unique_ptr<TrackerServer>> TrackerServer::start(Config const& config)
{
	std::unique_ptr<TrackerServer> tracker(new TrackerServer(config));
	TrackerServer* self = tracker.get();
	std::map<std::string, HttpHandler> routes;
	routes["/announce"] = [self](HttpRequest const& request) {
		return HttpResponse{200, "text/plain", self->handle_announce(request.params, request.remote), {}};
	};
	auto server = HttpServer::start(config.address, config.port, std::move(routes), "the tracker", config.http);
	if (!server) return server.error_value();
	tracker->m_server = std::move(server.value());
	spdlog::info("tracker listening on http://{}:{}/announce", config.address, tracker->port());
	return tracker;
}

TrackerServer::~TrackerServer() = default;

void TrackerServer::log_refusal(std::string const& why)
{
	std::lock_guard<std::mutex> lock(m_log_mutex);
	auto const now = std::chrono::steady_clock::now();
	if (now - m_last_refusal_log < std::chrono::seconds(10)) {
		++m_refusals_unlogged;
		return;
	}
	if (m_refusals_unlogged > 0)
		spdlog::warn("tracker: refused {} more announces in the last 10 s; the last: {}", m_refusals_unlogged, why);
	else
		spdlog::warn("tracker: refused an announce: {}", why);
	m_refusals_unlogged = 0;
	m_last_refusal_log = now;
}

std::string TrackerServer::handle_announce(std::multimap<std::string, std::string> const& params,
	std::string const& remote)
{
	auto announce = parse_announce(params);
	if (!announce) {
		spdlog::debug("tracker: bad announce from {}: {}", remote, announce.error());
		return encode_failure(announce.error());
	}
	if (m_config.serves && !m_config.serves(announce->info_hash)) {
		log_refusal(fmt::format("{} announced torrent {}, which this tracker does not serve", remote,
			to_hex(announce->info_hash)));
		return encode_failure("this tracker does not serve that torrent");
	}
	lt::error_code ec;
	lt::address const address = lt::make_address(remote, ec);
	if (ec) return encode_failure("cannot tell the peer's address");
	auto reply = m_registry.announce(*announce, address, SwarmRegistry::Clock::now());
	if (!reply) {
		log_refusal(fmt::format("{}: {}", remote, reply.error()));
		return encode_failure(reply.error());
	}
	reply->interval = int(m_config.interval.count());
	reply->min_interval = int(m_config.min_interval.count());
	spdlog::debug("tracker: {}:{} announced {} ({} left), given {} peers", remote, announce->port,
		to_hex(announce->info_hash), announce->left, reply->peers.size());
	return encode_reply(*reply);
}

}  // namespace ezio::tracker
