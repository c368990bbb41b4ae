#include "common/http_listener.hpp"

#include <sys/socket.h>

#include <chrono>

#include <fmt/format.h>
#include <httplib.h>

namespace ezio {

HttpListener::HttpListener(std::unique_ptr<httplib::Server> server, int port)
	: m_server(std::move(server)), m_port(port)
{}

Expected<std::unique_ptr<HttpListener>> HttpListener::start(std::unique_ptr<httplib::Server> server,
	std::string const& address, int port, std::string_view what)
{
	server->set_read_timeout(5, 0);
	server->set_write_timeout(5, 0);
	// httplib's default also sets SO_REUSEPORT, which would let a second
	// daemon share the port silently: a port in use must be an error.
	server->set_socket_options([](int socket) {
		int const yes = 1;
		::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
	});
	int const bound = port == 0 ? server->bind_to_any_port(address)
		: (server->bind_to_port(address, port) ? port : -1);
	if (bound <= 0)
		return Error{fmt::format("{} cannot listen on {}:{} (in use, or not an address of this machine)", what,
			address, port)};
	std::unique_ptr<HttpListener> listener(new HttpListener(std::move(server), bound));
	httplib::Server& s = *listener->m_server;
	listener->m_thread = std::thread([&s] { s.listen_after_bind(); });
	// httplib's stop() does nothing until the loop runs: wait for it, so that
	// a listener stopped right away does stop.
	while (!s.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
	return listener;
}

HttpListener::~HttpListener()
{
	m_server->stop();
	if (m_thread.joinable()) m_thread.join();
}

}  // namespace ezio
