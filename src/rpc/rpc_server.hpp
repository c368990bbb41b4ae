// The gRPC server that carries the EZIO service.
//
// gRPC 1.51 stops accepting for good after one accept4 fails (EMFILE: a
// flood of connections under a low hard open-file limit); connections then
// queue in the backlog and no call is ever answered. So the server asks
// itself for its version every few seconds, and when it has not answered
// three times in a row it is built again on the same address: the API
// answers again seconds after such a flood ends, at any limit.
//
// Thread-safety: shutdown() from any thread; the watchdog is the server's
// own thread, and the only one besides shutdown() that touches m_server.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/server.h>

#include "common/expected.hpp"
#include "common/mutex.hpp"
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

	// How often the server checks that it still answers.
	static constexpr std::chrono::seconds probe_period{2};

private:
	RpcServer(api::Controller& controller, AccessPolicy policy)
		: m_service(controller, policy), m_token(std::move(policy.token)), m_group(policy.api_group)
	{}

	// Builds and starts m_server on `address`; returns the port it got (0:
	// it could not listen).
	int listen(std::string const& address) EZIO_REQUIRES(m_mutex);
	// Whether a GetVersion call to the server is answered in time.
	bool answers() const;
	// The watchdog thread: rebuilds a server that stopped answering.
	void watch();

	EzioService m_service;
	std::string const m_token;
	gid_t const m_group;
	std::string m_address;  // set by start(), then constant

	Mutex m_mutex;
	CondVar m_wake;
	std::unique_ptr<grpc::Server> m_server EZIO_GUARDED_BY(m_mutex);
	bool m_stopping EZIO_GUARDED_BY(m_mutex) = false;
	std::thread m_watchdog;
};

}  // namespace ezio::rpc
