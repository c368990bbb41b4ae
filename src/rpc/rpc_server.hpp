// The gRPC server that carries the EZIO service.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "common/expected.hpp"
#include "api/controller.hpp"
#include "rpc/ezio_service.hpp"

namespace ezio::rpc {

class RpcServer {
public:
	// Listens on `address` (ADDR:PORT or unix:PATH) and lets in who
	// `policy` says. A unix socket is made accessible to root and
	// `policy.api_group` only. Fails if it cannot listen.
	static Expected<std::unique_ptr<RpcServer>> start(std::string const& address, api::Controller& controller,
		AccessPolicy policy = {});

	~RpcServer();

	// Where it listens: the address it was given, with the port the system
	// chose for port 0.
	std::string const& address() const { return m_address; }

	// Stops accepting calls and waits (briefly) for those in flight.
	void shutdown();

private:
	RpcServer(api::Controller& controller, AccessPolicy policy) : m_service(controller, std::move(policy)) {}

	EzioService m_service;
	std::unique_ptr<grpc::Server> m_server;
	std::string m_address;
};

}  // namespace ezio::rpc
