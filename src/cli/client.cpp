#include "cli/client.hpp"

#include <chrono>

#include <fmt/format.h>

#include "common/token.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::cli {

Client::Client(std::string address, std::string token) : m_address(std::move(address)), m_token(std::move(token))
{
	grpc::ChannelArguments args;
	args.SetMaxSendMessageSize(torrent::max_torrent_bytes + (1 << 20));
	// The daemon is on this machine or the lab's network: an http_proxy set
	// for the web must not carry its calls.
	args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
	m_stub = EZIO::NewStub(grpc::CreateCustomChannel(m_address, grpc::InsecureChannelCredentials(), args));
}

Error Client::failure(grpc::Status const& status) const
{
	if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
		return Error{fmt::format("the ezio daemon at {} wants its API token: give ezioctl --token-file FILE", m_address),
			Errc::permission_denied};
	if (status.error_code() == grpc::StatusCode::UNAVAILABLE || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
		return Error{fmt::format("cannot reach the ezio daemon at {} (is it running? start it with 'ezio -l {}'): {}",
			m_address, m_address, status.error_message()), Errc::failed_precondition};
	return Error{status.error_message(), Errc::invalid_argument};
}

template <typename Request, typename Response, typename Method>
grpc::Status Client::call(Method method, Request const& request, Response& response, std::chrono::seconds timeout)
{
	grpc::ClientContext ctx;
	ctx.set_deadline(std::chrono::system_clock::now() + timeout);
	if (!m_token.empty()) ctx.AddMetadata(token_metadata_key, token_metadata_value(m_token));
	return (m_stub.get()->*method)(&ctx, request, &response);
}

Expected<std::string> Client::version()
{
	VersionResponse response;
	auto const status = call(&EZIO::Stub::GetVersion, Empty(), response);
	if (!status.ok()) return failure(status);
	return response.version();
}

Status Client::add(AddRequest const& request)
{
	// AddTorrent opens and checks a device: allow it more time.
	AddResponse response;
	auto const status = call(&EZIO::Stub::AddTorrent, request, response, std::chrono::seconds(60));
	if (!status.ok()) return failure(status);
	if (!response.result()) return Error{"the daemon did not add the torrent", Errc::internal};
	return Ok{};
}

Expected<UpdateStatus> Client::status(std::vector<std::string> const& hashes)
{
	UpdateRequest request;
	for (auto const& h : hashes) request.add_hashes(h);
	UpdateStatus response;
	auto const status = call(&EZIO::Stub::GetTorrentStatus, request, response);
	if (!status.ok()) return failure(status);
	return response;
}

Status Client::pause(std::string const& hash)
{
	PauseTorrentRequest request;
	request.set_hash(hash);
	PauseTorrentResponse response;
	auto const status = call(&EZIO::Stub::PauseTorrent, request, response);
	return status.ok() ? Status(Ok{}) : Status(failure(status));
}

Status Client::resume(std::string const& hash)
{
	ResumeTorrentRequest request;
	request.set_hash(hash);
	ResumeTorrentResponse response;
	auto const status = call(&EZIO::Stub::ResumeTorrent, request, response);
	return status.ok() ? Status(Ok{}) : Status(failure(status));
}

Expected<int> Client::set_cache_size(int megabytes)
{
	CacheSizeRequest request;
	request.set_megabytes(megabytes);
	CacheSizeResponse response;
	auto const status = call(&EZIO::Stub::SetCacheSize, request, response);
	if (!status.ok()) return failure(status);
	return response.megabytes();
}

Status Client::shutdown()
{
	// Make sure the daemon is there at all: a Shutdown that cannot connect
	// looks like one whose connection closed.
	if (auto const v = version(); !v) return v.error_value();
	Empty response;
	auto const status = call(&EZIO::Stub::Shutdown, Empty(), response);
	if (status.ok() || status.error_code() == grpc::StatusCode::UNAVAILABLE
		|| status.error_code() == grpc::StatusCode::CANCELLED)
		return Ok{};
	return failure(status);
}

}  // namespace ezio::cli
