#include "tracker/tracker_server.hpp"

#include <httplib.h>

#include <fmt/format.h>
#include <libtorrent/error_code.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"

namespace ezio::tracker {

TrackerServer::TrackerServer(Config const& config)
	: m_config(config), m_registry(config.limits), m_server(std::make_unique<httplib::Server>())
{}

Expected<std::unique_ptr<TrackerServer>> TrackerServer::start(Config const& config)
{
	std::unique_ptr<TrackerServer> tracker(new TrackerServer(config));
	httplib::Server& server = *tracker->m_server;
	server.set_read_timeout(5, 0);
	server.set_write_timeout(5, 0);
	server.set_payload_max_length(8192);  // announces are GETs; nothing big to read
	// httplib's default also sets SO_REUSEPORT, which would let a second
	// daemon share the port silently: a port in use must be an error.
	server.set_socket_options([](int socket) {
		int const yes = 1;
		::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
	});
	TrackerServer* self = tracker.get();
	server.Get("/announce", [self](httplib::Request const& request, httplib::Response& response) {
		response.set_content(self->handle_announce(request.params, request.remote_addr), "text/plain");
	});

	int const port = config.port == 0 ? server.bind_to_any_port(config.address)
		: (server.bind_to_port(config.address, config.port) ? config.port : -1);
	if (port <= 0)
		return Error{fmt::format("the tracker cannot listen on {}:{} (in use, or not an address of this machine)",
			config.address, config.port)};
	tracker->m_port = port;
	tracker->m_thread = std::thread([&server] { server.listen_after_bind(); });
	// httplib's stop() does nothing until the loop runs: wait for it, so that
	// a tracker stopped right away does stop.
	while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
	spdlog::info("tracker listening on http://{}:{}/announce", config.address, port);
	return tracker;
}

TrackerServer::~TrackerServer()
{
	m_server->stop();
	if (m_thread.joinable()) m_thread.join();
}

std::string TrackerServer::handle_announce(std::multimap<std::string, std::string> const& params,
	std::string const& remote)
{
	auto announce = parse_announce(params);
	if (!announce) {
		spdlog::debug("tracker: bad announce from {}: {}", remote, announce.error());
		return encode_failure(announce.error());
	}
	lt::error_code ec;
	lt::address const address = lt::make_address(remote, ec);
	if (ec) return encode_failure("cannot tell the peer's address");
	auto reply = m_registry.announce(*announce, address, SwarmRegistry::Clock::now());
	if (!reply) {
		spdlog::warn("tracker: {}", reply.error());
		return encode_failure(reply.error());
	}
	reply->interval = int(m_config.interval.count());
	reply->min_interval = int(m_config.min_interval.count());
	spdlog::debug("tracker: {}:{} announced {} ({} left), given {} peers", remote, announce->port,
		to_hex(announce->info_hash), announce->left, reply->peers.size());
	return encode_reply(*reply);
}

}  // namespace ezio::tracker
