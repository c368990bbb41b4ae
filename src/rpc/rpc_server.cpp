#include "rpc/rpc_server.hpp"

#include <chrono>

#include <fmt/format.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "torrent/torrent_file.hpp"

namespace ezio::rpc {

Expected<std::unique_ptr<RpcServer>> RpcServer::start(std::string const& address, daemon::Controller& controller,
	std::string const& token)
{
	std::unique_ptr<RpcServer> server(new RpcServer(controller, token));
	grpc::ServerBuilder builder;
	int selected_port = 0;
	builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
	builder.RegisterService(&server->m_service);
	// A torrent of a large partition is several MiB; leave room for it.
	builder.SetMaxReceiveMessageSize(torrent::max_torrent_bytes + (1 << 20));
	server->m_server = builder.BuildAndStart();
	if (!server->m_server || selected_port == 0)
		return Error{fmt::format("cannot listen for gRPC on '{}' (is the address valid and free?)", address),
			Errc::failed_precondition};
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
