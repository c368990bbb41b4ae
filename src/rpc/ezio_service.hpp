// The EZIO gRPC service (proto/ezio.proto): checks each request's fields
// and maps it onto the daemon's Controller. Errors become gRPC statuses with
// a message; nothing a caller sends can stop the daemon, except Shutdown.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>

#include "api/controller.hpp"
#include "ezio.grpc.pb.h"

namespace ezio::rpc {

// Who may call (docs/security.md).
struct AccessPolicy {
	// Non-empty: every call must carry it ("authorization: Bearer <token>")
	// or is refused as UNAUTHENTICATED.
	std::string token;
	// Without a token on a loopback TCP listener, the calling user must be
	// root, the daemon's own user, or a member of this group (-1: none).
	gid_t api_group = gid_t(-1);
};

class EzioService final : public ::ezio::EZIO::Service {
public:
	EzioService(api::Controller& controller, AccessPolicy policy)
		: m_controller(controller), m_policy(std::move(policy))
	{}

	// The loopback TCP port the server listens on: without a token,
	// callers are then checked by user; -1: not known yet, every call is
	// refused; 0 (a unix socket, guarded by its file mode): no user check.
	// Any thread.
	void set_loopback_port(int port) { m_loopback_port.store(port); }

	grpc::Status Shutdown(grpc::ServerContext*, Empty const*, Empty*) override;
	grpc::Status GetTorrentStatus(grpc::ServerContext*, UpdateRequest const* request, UpdateStatus* reply) override;
	grpc::Status AddTorrent(grpc::ServerContext*, AddRequest const* request, AddResponse* reply) override;
	grpc::Status PauseTorrent(grpc::ServerContext*, PauseTorrentRequest const* request,
		PauseTorrentResponse*) override;
	grpc::Status ResumeTorrent(grpc::ServerContext*, ResumeTorrentRequest const* request,
		ResumeTorrentResponse*) override;
	grpc::Status GetVersion(grpc::ServerContext*, Empty const*, VersionResponse* reply) override;
	grpc::Status SetCacheSize(grpc::ServerContext*, CacheSizeRequest const* request, CacheSizeResponse* reply) override;

private:
	grpc::Status authorize(grpc::ServerContext const* context) const;

	api::Controller& m_controller;
	AccessPolicy const m_policy;
	std::atomic<int> m_loopback_port{0};
};

}  // namespace ezio::rpc
