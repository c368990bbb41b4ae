// A small HTTP server for the built-in tracker and the monitor (--metrics),
// on libmicrohttpd: one event loop (epoll) serves every connection, so slow
// or idle clients cannot hold the threads that answer the others, and the
// limits an attacker on the LAN could otherwise exhaust are stated here
// (docs/security.md):
// - connections at once, and at once from one address;
// - how long a connection may stay silent;
// - the memory of one connection's request line and headers (a flood of
//   small headers ends the connection with an error instead of growing);
// - GET and HEAD only, no request bodies, no ranges (a Range header is
//   ignored: the whole, small, answer is sent once).
//
// Thread-safety: handlers run on the server's threads, concurrently; the
// object itself is immutable once started.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.hpp"

struct MHD_Daemon;

namespace ezio {

struct HttpRequest {
	std::string path;
	std::multimap<std::string, std::string> params;  // the query, percent-decoded (may hold NUL bytes)
	std::string remote;                               // the client's address, as text
};

struct HttpResponse {
	int status = 200;
	std::string content_type = "text/plain";
	std::string body;
	std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(HttpRequest const&)>;

struct HttpLimits {
	unsigned connections = 256;       // open at once; more are refused at accept
	unsigned per_address = 16;        // open at once from one address
	unsigned idle_seconds = 10;       // a connection silent this long is closed
	std::size_t header_bytes = 32768; // one connection's buffers: request line, headers, parameters
	unsigned threads = 2;             // event loops serving the connections
};

class HttpServer {
public:
	// Binds `address`:`port` (port 0: any free one; IPv4 or IPv6 address)
	// and serves GET `path` with `routes[path]` (exact match; anything else
	// is 404). `what` names the service in errors ("the tracker").
	static Expected<std::unique_ptr<HttpServer>> start(std::string const& address, int port,
		std::map<std::string, HttpHandler> routes, std::string_view what, HttpLimits limits = {});
	~HttpServer();  // stops serving; handlers running finish first
	HttpServer(HttpServer const&) = delete;
	HttpServer& operator=(HttpServer const&) = delete;

	int port() const { return m_port; }

private:
	explicit HttpServer(std::map<std::string, HttpHandler> routes) : m_routes(std::move(routes)) {}

	std::map<std::string, HttpHandler> const m_routes;
	MHD_Daemon* m_daemon = nullptr;
	int m_port = 0;

	friend struct HttpServerAccess;
};

}  // namespace ezio
