// The gRPC server that carries the EZIO service.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "common/expected.hpp"
#include "daemon/controller.hpp"
#include "rpc/ezio_service.hpp"

namespace ezio::rpc {

class RpcServer {
public:
	// Listens on `address` (ADDR:PORT or unix:PATH). With a non-empty
	// `token`, calls must carry it. Fails if it cannot listen.
	static Expected<std::unique_ptr<RpcServer>> start(std::string const& address, daemon::Controller& controller,
		std::string const& token = {});

	~RpcServer();

	// Stops accepting calls and waits (briefly) for those in flight.
	void shutdown();

private:
	RpcServer(daemon::Controller& controller, std::string const& token) : m_service(controller, token) {}

	EzioService m_service;
	std::unique_ptr<grpc::Server> m_server;
};

}  // namespace ezio::rpc
