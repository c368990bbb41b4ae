#include "rpc/ezio_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/token.hpp"
#include "common/version.hpp"
#include "rpc/caller_identity.hpp"

namespace ezio::rpc {

namespace {

grpc::StatusCode to_grpc(Errc code)
{
	switch (code) {
	case Errc::invalid_argument: return grpc::StatusCode::INVALID_ARGUMENT;
	case Errc::not_found: return grpc::StatusCode::NOT_FOUND;
	case Errc::already_exists: return grpc::StatusCode::ALREADY_EXISTS;
	case Errc::failed_precondition: return grpc::StatusCode::FAILED_PRECONDITION;
	case Errc::permission_denied: return grpc::StatusCode::PERMISSION_DENIED;
	case Errc::io: return grpc::StatusCode::INTERNAL;
	case Errc::internal: return grpc::StatusCode::INTERNAL;
	}
	return grpc::StatusCode::UNKNOWN;
}

grpc::Status to_grpc(Error const& error)
{
	return grpc::Status(to_grpc(error.code), error.message);
}

grpc::Status invalid(std::string message)
{
	return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

// Every hash a caller sends must be an info-hash, so that a typo is an
// error and not an empty answer.
grpc::Status check_hash(std::string const& hash)
{
	if (parse_sha1_hex(hash)) return grpc::Status::OK;
	return invalid(fmt::format("'{}' is not an info-hash (40 hex digits)", hash));
}

void fill(Torrent& out, api::TorrentStatus const& t)
{
	out.set_hash(t.hash);
	out.set_name(t.name);
	out.set_progress(t.progress);
	out.set_download_rate(t.download_rate);
	out.set_upload_rate(t.upload_rate);
	out.set_active_time(t.active_time);
	out.set_is_finished(t.is_finished);
	out.set_num_peers(t.num_peers);
	out.set_state(static_cast<std::int64_t>(t.state));
	out.set_total_done(t.total_done);
	out.set_total(t.total);
	out.set_num_pieces(t.num_pieces);
	out.set_finished_time(t.finished_time);
	out.set_seeding_time(t.seeding_time);
	out.set_total_payload_download(t.total_payload_download);
	out.set_total_payload_upload(t.total_payload_upload);
	out.set_is_paused(t.is_paused);
	out.set_save_path(t.save_path);
	out.set_last_upload(t.last_upload);
	out.set_last_download(t.last_download);
	out.set_error(t.error);
	out.set_warning(t.warning);
	out.set_pieces_total(t.pieces_total);
	out.set_chunked(t.chunked);
	out.set_disk_done(t.disk_done);
	out.set_disk_total(t.disk_total);
}

}  // namespace

grpc::Status EzioService::authorize(grpc::ServerContext const* context) const
{
	if (!m_policy.token.empty()) {
		auto const& metadata = context->client_metadata();
		auto const it = metadata.find(token_metadata_key);
		std::string_view const presented = it == metadata.end() ? std::string_view()
			: std::string_view(it->second.data(), it->second.size());
		if (tokens_equal(token_metadata_value(m_policy.token), presented)) return grpc::Status::OK;
		spdlog::warn("refused an API call from {}: {} token", context->peer(), it == metadata.end() ? "no" : "wrong");
		return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
			"this daemon requires its API token (ezioctl --token-file, metadata 'authorization: Bearer <token>')");
	}
	int const port = m_loopback_port.load();
	if (port == 0) return grpc::Status::OK;  // a unix socket: its file mode decides
	if (port < 0) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the daemon is starting");
	auto const uid = loopback_caller_uid(context->peer(), port);
	if (uid && uid_may_call(*uid, m_policy.api_group)) return grpc::Status::OK;
	spdlog::warn("refused an API call from {}: {}", context->peer(),
		uid ? fmt::format("user {} is not root, the daemon's user or in --api-group", *uid)
			: std::string("the calling user cannot be found"));
	return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
		"only root, the daemon's own user and members of its --api-group may drive this daemon without a token");
}

grpc::Status EzioService::Shutdown(grpc::ServerContext* context, Empty const*, Empty*)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	spdlog::info("shutdown requested over gRPC");
	m_controller.request_shutdown();
	return grpc::Status::OK;
}

grpc::Status EzioService::GetTorrentStatus(grpc::ServerContext* context, UpdateRequest const* request, UpdateStatus* reply)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	std::vector<std::string> hashes;
	for (std::string const& h : request->hashes()) {
		if (auto const status = check_hash(h); !status.ok()) return status;
		hashes.push_back(h);
	}
	for (api::TorrentStatus const& t : m_controller.torrent_status(hashes)) {
		reply->add_hashes(t.hash);
		fill((*reply->mutable_torrents())[t.hash], t);
	}
	return grpc::Status::OK;
}

grpc::Status EzioService::AddTorrent(grpc::ServerContext* context, AddRequest const* request, AddResponse* reply)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	api::AddTorrentRequest add;
	add.torrent = request->torrent();
	add.save_path = request->save_path();
	add.seeding_mode = request->seeding_mode();
	add.max_uploads = request->max_uploads();
	add.max_connections = request->max_connections();
	add.sequential_download = request->sequential_download();
	add.peers.assign(request->peers().begin(), request->peers().end());
	add.verify_target = request->verify_target();

	auto const result = m_controller.add_torrent(add);
	if (!result) {
		spdlog::warn("AddTorrent({}) refused: {}", add.save_path, result.error());
		return to_grpc(result.error_value());
	}
	reply->set_result(true);
	return grpc::Status::OK;
}

grpc::Status EzioService::PauseTorrent(grpc::ServerContext* context, PauseTorrentRequest const* request,
	PauseTorrentResponse*)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	if (auto const status = check_hash(request->hash()); !status.ok()) return status;
	auto const result = m_controller.pause_torrent(request->hash());
	return result ? grpc::Status::OK : to_grpc(result.error_value());
}

grpc::Status EzioService::ResumeTorrent(grpc::ServerContext* context, ResumeTorrentRequest const* request,
	ResumeTorrentResponse*)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	if (auto const status = check_hash(request->hash()); !status.ok()) return status;
	auto const result = m_controller.resume_torrent(request->hash());
	return result ? grpc::Status::OK : to_grpc(result.error_value());
}

grpc::Status EzioService::GetVersion(grpc::ServerContext* context, Empty const*, VersionResponse* reply)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	reply->set_version(version());
	return grpc::Status::OK;
}

grpc::Status EzioService::SetCacheSize(grpc::ServerContext* context, CacheSizeRequest const* request, CacheSizeResponse* reply)
{
	if (auto const denied = authorize(context); !denied.ok()) return denied;
	auto const result = m_controller.set_cache_size(request->megabytes());
	if (!result) return to_grpc(result.error_value());
	spdlog::info("cache size set to {} MiB over gRPC", *result);
	reply->set_megabytes(*result);
	return grpc::Status::OK;
}

}  // namespace ezio::rpc
