// The EZIO gRPC service (proto/ezio.proto): checks each request's fields
// and maps it onto the daemon's Controller. Errors become gRPC statuses with
// a message; nothing a caller sends can stop the daemon, except Shutdown.
#pragma once

#include <string>

#include "daemon/controller.hpp"
#include "ezio.grpc.pb.h"

namespace ezio::rpc {

class EzioService final : public ::ezio::EZIO::Service {
public:
	// With a non-empty `token`, every call must carry it
	// ("authorization: Bearer <token>") or is refused as UNAUTHENTICATED.
	EzioService(daemon::Controller& controller, std::string token)
		: m_controller(controller), m_token(std::move(token))
	{}

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

	daemon::Controller& m_controller;
	std::string const m_token;
};

}  // namespace ezio::rpc
