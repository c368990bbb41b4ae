#include "rpc/rpc_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>

#include "torrent/torrent_file.hpp"

namespace ezio::rpc {

Expected<std::unique_ptr<RpcServer>> RpcServer::start(std::string const& address, api::Controller& controller,
	AccessPolicy policy)
{
	bool const unix_socket = address.starts_with("unix:");
	bool const check_users = policy.token.empty() && !unix_socket;
	gid_t const group = policy.api_group;
	std::unique_ptr<RpcServer> server(new RpcServer(controller, std::move(policy)));
	// Until the port is known, a caller on TCP cannot be checked: refuse.
	if (check_users) server->m_service.set_loopback_port(-1);
	grpc::ServerBuilder builder;
	int selected_port = 0;
	builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
	builder.RegisterService(&server->m_service);
	// A torrent of a large partition is several MiB; leave room for it.
	builder.SetMaxReceiveMessageSize(torrent::max_torrent_bytes + (1 << 20));
	// Connections that do not speak HTTP/2 within seconds, or sit idle, are
	// closed: open connections cost file descriptors, and running out of
	// those once stopped gRPC's listener for good. A few calls at once per
	// connection are plenty for a control API.
	builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 5'000);
	builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60'000);
	builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 8);
	// Every call runs on a thread of its own; a flood of calls queues
	// instead of starting thousands.
	grpc::ResourceQuota quota("ezio-api");
	quota.SetMaxThreads(64);
	quota.Resize(std::size_t(64) << 20);
	builder.SetResourceQuota(quota);
	server->m_server = builder.BuildAndStart();
	if (!server->m_server || selected_port == 0)
		return Error{fmt::format("cannot listen for gRPC on '{}' (is the address valid and free?)", address),
			Errc::failed_precondition};
	if (check_users) server->m_service.set_loopback_port(selected_port);
	server->m_address = address;
	if (!unix_socket && address.ends_with(":0"))
		server->m_address = address.substr(0, address.size() - 1) + std::to_string(selected_port);
	if (unix_socket) {
		// Whoever can connect can make this machine write its disks.
		std::string const path = address.substr(5);
		bool const shared = group != gid_t(-1);
		if (::chmod(path.c_str(), shared ? 0660 : 0600) != 0 || (shared && ::chown(path.c_str(), uid_t(-1), group) != 0))
			return Error{fmt::format("cannot restrict access to '{}': {}", path, std::strerror(errno)), Errc::internal};
	}
	return server;
}

RpcServer::~RpcServer()
{
	shutdown();
}

void RpcServer::shutdown()
{
	if (!m_server) return;
	// Shutdown waits for connected clients to close their connections,
	// which idle ones never do; calls in flight here take milliseconds. So
	// allow a short grace period, then cancel what is left.
	m_server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
	m_server->Wait();
	m_server.reset();
}

}  // namespace ezio::rpc
