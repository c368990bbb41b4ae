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
	// Listens on `address` (ADDR:PORT or unix:PATH). Fails if it cannot.
	static Expected<std::unique_ptr<RpcServer>> start(std::string const& address, daemon::Controller& controller);

	~RpcServer();

	// Stops accepting calls and waits (briefly) for those in flight.
	void shutdown();

private:
	explicit RpcServer(daemon::Controller& controller) : m_service(controller) {}

	EzioService m_service;
	std::unique_ptr<grpc::Server> m_server;
};

}  // namespace ezio::rpc
