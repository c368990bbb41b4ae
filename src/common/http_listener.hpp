// An httplib::Server serving on its own thread: the built-in tracker and the
// monitor (--metrics) both run one. Stops and joins when destroyed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/expected.hpp"

namespace httplib {
class Server;
}

namespace ezio {

class HttpListener {
public:
	// Binds `address`:`port` (port 0: any free one) and starts serving the
	// handlers already registered on `server`. `what` names the service in
	// errors ("the tracker").
	static Expected<std::unique_ptr<HttpListener>> start(std::unique_ptr<httplib::Server> server,
		std::string const& address, int port, std::string_view what);
	~HttpListener();
	HttpListener(HttpListener const&) = delete;
	HttpListener& operator=(HttpListener const&) = delete;

	int port() const { return m_port; }

private:
	HttpListener(std::unique_ptr<httplib::Server> server, int port);

	std::unique_ptr<httplib::Server> m_server;
	std::thread m_thread;
	int m_port;
};

}  // namespace ezio
