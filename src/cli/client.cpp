#include "cli/client.hpp"

#include <chrono>

#include <fmt/format.h>

#include "torrent/torrent_file.hpp"

namespace ezio::cli {

namespace {

// RPCs answer in milliseconds; AddTorrent opens and checks a device.
void set_deadline(grpc::ClientContext& ctx, std::chrono::seconds timeout = std::chrono::seconds(30))
{
	ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

}  // namespace

Client::Client(std::string address) : m_address(std::move(address))
{
	grpc::ChannelArguments args;
	args.SetMaxSendMessageSize(torrent::max_torrent_bytes + (1 << 20));
	m_stub = EZIO::NewStub(grpc::CreateCustomChannel(m_address, grpc::InsecureChannelCredentials(), args));
}

Error Client::failure(grpc::Status const& status) const
{
	if (status.error_code() == grpc::StatusCode::UNAVAILABLE || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
		return Error{fmt::format("cannot reach the ezio daemon at {} (is it running? start it with 'ezio -l {}'): {}",
			m_address, m_address, status.error_message()), Errc::failed_precondition};
	return Error{status.error_message(), Errc::invalid_argument};
}

Expected<std::string> Client::version()
{
	grpc::ClientContext ctx;
	set_deadline(ctx, std::chrono::seconds(10));
	Empty request;
	VersionResponse response;
	auto const status = m_stub->GetVersion(&ctx, request, &response);
	if (!status.ok()) return failure(status);
	return response.version();
}

Status Client::add(AddRequest const& request)
{
	grpc::ClientContext ctx;
	set_deadline(ctx);
	AddResponse response;
	auto const status = m_stub->AddTorrent(&ctx, request, &response);
	if (!status.ok()) return failure(status);
	if (!response.result()) return Error{"the daemon did not add the torrent"};
	return Ok{};
}

Expected<UpdateStatus> Client::status(std::vector<std::string> const& hashes)
{
	grpc::ClientContext ctx;
	set_deadline(ctx, std::chrono::seconds(10));
	UpdateRequest request;
	for (auto const& h : hashes) request.add_hashes(h);
	UpdateStatus response;
	auto const status = m_stub->GetTorrentStatus(&ctx, request, &response);
	if (!status.ok()) return failure(status);
	return response;
}

Status Client::pause(std::string const& hash)
{
	grpc::ClientContext ctx;
	set_deadline(ctx, std::chrono::seconds(10));
	PauseTorrentRequest request;
	request.set_hash(hash);
	PauseTorrentResponse response;
	auto const status = m_stub->PauseTorrent(&ctx, request, &response);
	if (!status.ok()) return failure(status);
	return Ok{};
}

Status Client::resume(std::string const& hash)
{
	grpc::ClientContext ctx;
	set_deadline(ctx, std::chrono::seconds(10));
	ResumeTorrentRequest request;
	request.set_hash(hash);
	ResumeTorrentResponse response;
	auto const status = m_stub->ResumeTorrent(&ctx, request, &response);
	if (!status.ok()) return failure(status);
	return Ok{};
}

Status Client::shutdown()
{
	// Make sure the daemon is there at all: a Shutdown that cannot connect
	// looks like one whose connection closed.
	if (auto const v = version(); !v) return v.error_value();
	grpc::ClientContext ctx;
	set_deadline(ctx, std::chrono::seconds(10));
	Empty request, response;
	auto const status = m_stub->Shutdown(&ctx, request, &response);
	if (status.ok() || status.error_code() == grpc::StatusCode::UNAVAILABLE
		|| status.error_code() == grpc::StatusCode::CANCELLED)
		return Ok{};
	return failure(status);
}

}  // namespace ezio::cli
