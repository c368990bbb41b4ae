#include "tracker/tracker_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <libtorrent/hasher.hpp>
#include <libtorrent/error_code.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "tracker/udp_protocol.hpp"

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
	if (config.udp)
		if (auto const udp = tracker->start_udp(); !udp) return udp.error_value();
	spdlog::info("tracker listening on http://{0}:{1}/announce{2}", config.address, tracker->port(),
		config.udp ? fmt::format(" and udp://{}:{}/announce", config.address, tracker->port()) : std::string());
	return tracker;
}

TrackerServer::~TrackerServer()
{
	m_stopping.store(true);
	if (m_wake_fd >= 0) ::eventfd_write(m_wake_fd, 1);
	if (m_udp_thread.joinable()) m_udp_thread.join();
	if (m_udp_fd >= 0) ::close(m_udp_fd);
	if (m_wake_fd >= 0) ::close(m_wake_fd);
}

Status TrackerServer::start_udp()
{
	std::random_device random;
	for (char& c : m_secret) c = static_cast<char>(random());
	lt::error_code ec;
	lt::address const address = lt::make_address(m_config.address, ec);
	if (ec) return Error{fmt::format("the tracker: '{}' is not an IP address", m_config.address), Errc::invalid_argument};
	lt::udp::endpoint const endpoint(address, std::uint16_t(port()));
	m_udp_fd = ::socket(address.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (m_udp_fd < 0) return Error{fmt::format("the tracker cannot open a UDP socket: {}", std::strerror(errno)), Errc::io};
	if (::bind(m_udp_fd, endpoint.data(), socklen_t(endpoint.size())) != 0)
		return Error{fmt::format("the tracker cannot listen on UDP {}:{} (in use?): {}", m_config.address, port(),
			std::strerror(errno)), Errc::io};
	m_wake_fd = ::eventfd(0, EFD_CLOEXEC);
	if (m_wake_fd < 0) return Error{fmt::format("the tracker cannot make an eventfd: {}", std::strerror(errno)), Errc::io};
	m_udp_thread = std::thread([this] { udp_loop(); });
	return Ok{};
}

void TrackerServer::udp_loop()
{
	char buffer[2048];
	while (!m_stopping.load()) {
		pollfd ready[2] = {{m_udp_fd, POLLIN, 0}, {m_wake_fd, POLLIN, 0}};
		if (::poll(ready, 2, -1) <= 0 || (ready[0].revents & POLLIN) == 0) continue;
		lt::udp::endpoint from;
		socklen_t length = socklen_t(from.capacity());
		ssize_t const n = ::recvfrom(m_udp_fd, buffer, sizeof buffer, 0, from.data(), &length);
		if (n < 0) continue;
		from.resize(length);
		std::string const answer = handle_datagram(std::string_view(buffer, std::size_t(n)), from);
		if (!answer.empty()) ::sendto(m_udp_fd, answer.data(), answer.size(), 0, from.data(), socklen_t(from.size()));
	}
}

std::uint64_t TrackerServer::connection_id(lt::udp::endpoint const& from, std::int64_t epoch) const
{
	lt::hasher h;
	h.update(m_secret.data(), int(m_secret.size()));
	std::string const who = fmt::format("{}|{}|{}", from.address().to_string(), from.port(), epoch);
	h.update(who.data(), int(who.size()));
	lt::sha1_hash const digest = h.final();
	std::uint64_t id = 0;
	for (int i = 0; i < 8; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
	return id;
}

std::string TrackerServer::handle_datagram(std::string_view datagram, lt::udp::endpoint const& from)
{
	auto request = parse_udp_request(datagram);
	if (!request) return {};  // no answer to garbage: no reflection
	std::int64_t const epoch = std::chrono::duration_cast<std::chrono::seconds>(
		std::chrono::steady_clock::now().time_since_epoch()).count() / 120;
	if (request->action == UdpAction::connect) return encode_udp_connect(request->transaction, connection_id(from, epoch));
	if (request->connection != connection_id(from, epoch) && request->connection != connection_id(from, epoch - 1))
		return encode_udp_error(request->transaction, "unknown connection id; connect first");
	if (request->action != UdpAction::announce) return encode_udp_error(request->transaction, "only announces");
	auto reply = serve(request->announce, from.address());
	if (!reply) return encode_udp_error(request->transaction, reply.error());
	return encode_udp_announce(request->transaction, *reply);
}

void TrackerServer::log_refusal(std::string const& why)
{
	MutexLock lock(m_log_mutex);
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
	lt::error_code ec;
	lt::address const address = lt::make_address(remote, ec);
	if (ec) return encode_failure("cannot tell the peer's address");
	auto reply = serve(*announce, address);
	if (!reply) return encode_failure(reply.error());
	spdlog::debug("tracker: {}:{} announced {} ({} left), given {} peers", remote, announce->port,
		to_hex(announce->info_hash), announce->left, reply->peers.size());
	return encode_reply(*reply);
}

Expected<AnnounceReply> TrackerServer::serve(Announce const& announce, lt::address const& address)
{
	if (m_config.serves && !m_config.serves(announce.info_hash)) {
		log_refusal(fmt::format("{} announced torrent {}, which this tracker does not serve", address.to_string(),
			to_hex(announce.info_hash)));
		return Error{"this tracker does not serve that torrent", Errc::not_found};
	}
	auto reply = m_registry.announce(announce, address, SwarmRegistry::Clock::now());
	if (!reply) {
		log_refusal(fmt::format("{}: {}", address.to_string(), reply.error()));
		return reply;
	}
	reply->interval = int(m_config.interval.count());
	reply->min_interval = int(m_config.min_interval.count());
	return reply;
}

}  // namespace ezio::tracker
