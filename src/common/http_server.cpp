#include "common/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace ezio {

struct HttpServerAccess {
	static std::map<std::string, HttpHandler> const& routes(HttpServer const& s) { return s.m_routes; }
};

namespace {

void log_from_mhd(void*, char const* format, va_list args)
{
	char line[512];
	std::vsnprintf(line, sizeof line, format, args);
	std::string_view text(line);
	while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
	spdlog::debug("http: {}", text);
}

std::string client_address(MHD_Connection* connection)
{
	auto const* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == nullptr || info->client_addr == nullptr) return {};
	char text[INET6_ADDRSTRLEN] = {};
	sockaddr const* address = info->client_addr;
	if (address->sa_family == AF_INET)
		::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in const*>(address)->sin_addr, text, sizeof text);
	else if (address->sa_family == AF_INET6)
		::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 const*>(address)->sin6_addr, text, sizeof text);
	return text;
}

MHD_Result add_param(void* cls, MHD_ValueKind, char const* key, std::size_t key_size, char const* value,
	std::size_t value_size)
{
	auto* params = static_cast<std::multimap<std::string, std::string>*>(cls);
	params->emplace(std::string(key, key_size), value == nullptr ? std::string() : std::string(value, value_size));
	return MHD_YES;
}

MHD_Result send(MHD_Connection* connection, HttpResponse const& answer, bool head)
{
	MHD_Response* response = MHD_create_response_from_buffer(head ? 0 : answer.body.size(),
		const_cast<char*>(answer.body.data()), MHD_RESPMEM_MUST_COPY);
	if (response == nullptr) return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
	for (auto const& [name, value] : answer.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
	MHD_Result const queued = MHD_queue_response(connection, unsigned(answer.status), response);
	MHD_destroy_response(response);
	return queued;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, char const* url, char const* method, char const*,
	char const*, std::size_t*, void**)
{
	auto const& server = *static_cast<HttpServer const*>(cls);
	bool const head = std::strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && std::strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return send(connection, HttpResponse{405, "text/plain", "only GET\n", {{"Allow", "GET, HEAD"}}}, false);
	auto const& routes = HttpServerAccess::routes(server);
	auto const route = routes.find(url);
	if (route == routes.end()) return send(connection, HttpResponse{404, "text/plain", "not found\n", {}}, head);

	HttpRequest request;
	request.path = url;
	request.remote = client_address(connection);
	MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, add_param, &request.params);
	try {
		return send(connection, route->second(request), head);
	} catch (std::exception const& e) {
		spdlog::error("http: {} failed: {}", request.path, e.what());
		return send(connection, HttpResponse{500, "text/plain", "internal error\n", {}}, head);
	}
}

}  // namespace

Expected<std::unique_ptr<HttpServer>> HttpServer::start(std::string const& address, int port,
	std::map<std::string, HttpHandler> routes, std::string_view what, HttpLimits limits)
{
	std::unique_ptr<HttpServer> server(new HttpServer(std::move(routes)));

	sockaddr_storage storage{};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
	auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
	if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(std::uint16_t(port));
	} else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(std::uint16_t(port));
		flags |= MHD_USE_IPv6;
	} else {
		return Error{fmt::format("{}: '{}' is not an IP address", what, address), Errc::invalid_argument};
	}

	errno = 0;
	server->m_daemon = MHD_start_daemon(flags, std::uint16_t(port), nullptr, nullptr, &on_request, server.get(),
		MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&storage),
		MHD_OPTION_CONNECTION_LIMIT, limits.connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits.per_address,
		MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.header_bytes,
		MHD_OPTION_THREAD_POOL_SIZE, limits.threads,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 128u,
		MHD_OPTION_EXTERNAL_LOGGER, &log_from_mhd, nullptr,
		MHD_OPTION_END);
	if (server->m_daemon == nullptr)
		return Error{fmt::format("{} cannot listen on {}:{} (in use, or not an address of this machine{})", what,
			address, port, errno != 0 ? fmt::format(": {}", std::strerror(errno)) : std::string()), Errc::io};
	auto const* info = MHD_get_daemon_info(server->m_daemon, MHD_DAEMON_INFO_BIND_PORT);
	server->m_port = info != nullptr && info->port != 0 ? info->port : port;
	return server;
}

HttpServer::~HttpServer()
{
	if (m_daemon != nullptr) MHD_stop_daemon(m_daemon);
}

}  // namespace ezio
