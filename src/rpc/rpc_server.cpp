#include "rpc/rpc_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>

#include "ezio.grpc.pb.h"
#include "torrent/torrent_file.hpp"

namespace ezio::rpc {

namespace {

// Whoever can connect to the API's unix socket can make this machine write
// its disks: 0600, or 0660 for `group`. Set on the socket itself, never
// through a link planted in its place.
Status restrict_socket(std::string const& path, gid_t group)
{
	int const fd = ::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return Error{fmt::format("cannot open '{}': {}", path, std::strerror(errno)), Errc::internal};
	struct Closer {
		int fd;
		~Closer() { ::close(fd); }
	} const closer{fd};
	struct stat st{};
	if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return Error{fmt::format("'{}' is not the API's socket", path), Errc::internal};
	bool const shared = group != gid_t(-1);
	if (::chmod(fmt::format("/proc/self/fd/{}", fd).c_str(), shared ? 0660 : 0600) != 0
		|| (shared && ::fchownat(fd, "", uid_t(-1), group, AT_EMPTY_PATH) != 0))
		return Error{fmt::format("cannot restrict access to '{}': {}", path, std::strerror(errno)), Errc::internal};
	return Ok{};
}

// Holds ADDR:PORT while the server is built again: a socket bound with
// SO_REUSEPORT, which only this user's sockets (gRPC's listener) may share,
// so no other local user takes the port in between. -1 if it cannot.
int hold_port(std::string const& address)
{
	std::size_t const colon = address.rfind(':');
	if (colon == std::string::npos) return -1;
	std::string host = address.substr(0, colon);
	if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
	addrinfo hints{};
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	addrinfo* found = nullptr;
	if (::getaddrinfo(host.c_str(), address.substr(colon + 1).c_str(), &hints, &found) != 0 || found == nullptr)
		return -1;
	int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int const on = 1;
	if (fd >= 0 && (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0
		|| ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0
		|| ::bind(fd, found->ai_addr, found->ai_addrlen) != 0)) {
		::close(fd);
		fd = -1;
	}
	::freeaddrinfo(found);
	return fd;
}

}  // namespace

int RpcServer::listen(std::string const& address)
{
	grpc::ServerBuilder builder;
	int selected_port = 0;
	builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
	builder.RegisterService(&m_service);
	// A torrent of a large partition is several MiB; leave room for it.
	builder.SetMaxReceiveMessageSize(torrent::max_torrent_bytes + (1 << 20));
	// Connections that do not speak HTTP/2 within seconds, or sit idle, are
	// closed: open connections cost file descriptors. A few calls at once
	// per connection are plenty for a control API.
	builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 5'000);
	builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60'000);
	builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 8);
	// Every call runs on a thread of its own; a flood of calls queues
	// instead of starting thousands.
	grpc::ResourceQuota quota("ezio-api");
	quota.SetMaxThreads(64);
	quota.Resize(std::size_t(64) << 20);
	builder.SetResourceQuota(quota);
	m_server = builder.BuildAndStart();
	return m_server ? selected_port : 0;
}

Expected<std::unique_ptr<RpcServer>> RpcServer::start(std::string const& address, api::Controller& controller,
	AccessPolicy policy)
{
	bool const unix_socket = address.starts_with("unix:");
	bool const check_users = policy.token.empty() && !unix_socket;
	std::unique_ptr<RpcServer> server(new RpcServer(controller, std::move(policy)));
	// Until the port is known, a caller on TCP cannot be checked: refuse.
	if (check_users) server->m_service.set_loopback_port(-1);
	int selected_port = 0;
	{
		MutexLock lock(server->m_mutex);
		selected_port = server->listen(address);
	}
	if (selected_port == 0)
		return Error{fmt::format("cannot listen for gRPC on '{}' (is the address valid and free?)", address),
			Errc::failed_precondition};
	if (check_users) server->m_service.set_loopback_port(selected_port);
	server->m_address = address;
	if (!unix_socket && address.ends_with(":0"))
		server->m_address = address.substr(0, address.size() - 1) + std::to_string(selected_port);
	if (unix_socket)
		if (auto const restricted = restrict_socket(address.substr(5), server->m_group); !restricted)
			return restricted.error_value();
	server->m_watchdog = std::thread([s = server.get()] { s->watch(); });
	return server;
}

bool RpcServer::answers() const
{
	// Only one call, then the channel goes: a fresh connection each time,
	// as a caller would make.
	grpc::ChannelArguments args;
	args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
	args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);  // an http_proxy of the environment has no say here
	auto const channel = grpc::CreateCustomChannel(m_address, grpc::InsecureChannelCredentials(), args);
	auto const stub = ezio::EZIO::NewStub(channel);
	grpc::ClientContext context;
	context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
	if (!m_token.empty()) context.AddMetadata("authorization", "Bearer " + m_token);
	ezio::Empty request;
	ezio::VersionResponse reply;
	// Any answer is an answer (a refusal too); only silence counts.
	grpc::StatusCode const code = stub->GetVersion(&context, request, &reply).error_code();
	return code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::DEADLINE_EXCEEDED;
}

void RpcServer::watch()
{
	int silent = 0;
	for (;;) {
		{
			MutexLock lock(m_mutex);
			auto const next = std::chrono::steady_clock::now() + probe_period;
			while (!m_stopping && m_wake.wait_until(lock, next)) {}
			if (m_stopping) return;
		}
		silent = answers() ? 0 : silent + 1;
		if (silent < 3) continue;
		silent = 0;
		MutexLock lock(m_mutex);
		if (m_stopping) return;
		spdlog::warn("the gRPC API on {} has stopped answering (its listener fails after the process ran out of "
			"file descriptors once); starting it again", m_address);
		bool const unix_socket = m_address.starts_with("unix:");
		int const held = unix_socket ? -1 : hold_port(m_address);
		if (m_server) {
			m_server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
			m_server->Wait();
			m_server.reset();
		}
		int const port = listen(m_address);
		if (held >= 0) ::close(held);
		if (port == 0) {
			spdlog::error("cannot listen for gRPC on '{}' again; trying again soon", m_address);
		} else if (unix_socket) {
			if (auto const restricted = restrict_socket(m_address.substr(5), m_group); !restricted) {
				// Nobody must reach an API that anybody may call.
				spdlog::error("{}; the API stays closed", restricted.error());
				m_server->Shutdown(std::chrono::system_clock::now());
				m_server->Wait();
				m_server.reset();
			}
		}
	}
}

RpcServer::~RpcServer()
{
	shutdown();
}

void RpcServer::shutdown()
{
	{
		MutexLock lock(m_mutex);
		m_stopping = true;
		m_wake.notify_all();
	}
	if (m_watchdog.joinable() && m_watchdog.get_id() != std::this_thread::get_id()) m_watchdog.join();
	MutexLock lock(m_mutex);
	if (!m_server) return;
	// Shutdown waits for connected clients to close their connections,
	// which idle ones never do; calls in flight here take milliseconds. So
	// allow a short grace period, then cancel what is left.
	m_server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
	m_server->Wait();
	m_server.reset();
}

}  // namespace ezio::rpc
