#include "support/test_daemon.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace ezio::test {

std::string ezio_binary()
{
	return EZIO_BINARY;
}

std::string ezioctl_binary()
{
	return EZIOCTL_BINARY;
}

TestDaemon::TestDaemon(ScratchDir const& dir, std::string const& name, std::vector<std::string> const& extra_args,
	std::string token)
	: m_dir(dir), m_token(std::move(token)), m_name(name), m_socket(dir.file(name + ".sock")), m_log(dir.file(name + ".log"))
{
	// Port 0: the system picks a free one (read back from the log below), so
	// daemons of tests running in parallel cannot collide.
	std::vector<std::string> argv{ezio_binary(), "-l", "unix:" + m_socket, "-p", "0", "--aio-threads", "4"};
	// The same tests run again with other engine settings (see
	// tests/CMakeLists.txt): EZIO_TEST_DAEMON_ARGS="--io-backend uring".
	if (char const* more = std::getenv("EZIO_TEST_DAEMON_ARGS")) {
		std::istringstream words(more);
		for (std::string w; words >> w;) argv.push_back(w);
	}
	argv.insert(argv.end(), extra_args.begin(), extra_args.end());
	// Progress records stay in the test's directory unless a test says where.
	if (std::find(extra_args.begin(), extra_args.end(), "--state-dir") == extra_args.end()) {
		argv.push_back("--state-dir");
		argv.push_back(dir.file(name + ".state"));
	}
	m_process = Process::spawn(argv, m_log);

	// Connect only once the socket exists: a channel that fails its first
	// attempt backs off for seconds.
	// Generous: on a loaded 2-core machine (a build beside ctest -j2) a
	// daemon once took 15 s to print its first line.
	auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (!std::filesystem::exists(m_socket)) {
		if (!m_process->running() || std::chrono::steady_clock::now() > deadline) {
			auto const status = m_process->wait_for(std::chrono::milliseconds(0));
			throw std::runtime_error(fmt::format("daemon '{}' did not come up ({}); log:\n{}", name,
				status ? fmt::format("it exited with status {}", *status) : "it still runs", log()));
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}

	grpc::ChannelArguments args;
	args.SetMaxSendMessageSize(64 << 20);
	// The daemon is starting: retry the connection quickly, not with
	// gRPC's default one-second backoff.
	args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
	args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
	args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
	m_channel = grpc::CreateCustomChannel("unix:" + m_socket, grpc::InsecureChannelCredentials(), args);
	m_stub = ezio::EZIO::NewStub(m_channel);

	std::string const listening = "successfully listening on [TCP] 127.0.0.1:";
	for (;;) {
		std::string const text = log();
		if (auto const at = text.find(listening); at != std::string::npos) {
			m_port = std::atoi(text.c_str() + at + listening.size());
			break;
		}
		if (!m_process->running() || std::chrono::steady_clock::now() > deadline)
			throw std::runtime_error(fmt::format("daemon '{}' is not listening for peers; log:\n{}", name, text));
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	for (;;) {
		auto ctx = context(std::chrono::seconds(1));
		ezio::Empty req;
		ezio::VersionResponse resp;
		if (m_stub->GetVersion(ctx.get(), req, &resp).ok()) break;
		if (!m_process->running() || std::chrono::steady_clock::now() > deadline)
			throw std::runtime_error(fmt::format("daemon '{}' did not come up; log:\n{}", name, log()));
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

TestDaemon::~TestDaemon()
{
	// The log explains a failure; EZIO_TEST_LOGS=1 shows it always.
	if (::testing::Test::HasFailure() || std::getenv("EZIO_TEST_LOGS")) std::fprintf(stderr, "---- log of daemon '%s' ----\n%s\n", m_name.c_str(), log().c_str());
}

std::string TestDaemon::log() const
{
	try {
		return read_file(m_log);
	} catch (std::exception const&) {
		return "(no log)";
	}
}

grpc::Status TestDaemon::add(std::string const& torrent, std::string const& save_path, bool seeding,
	std::vector<std::string> const& peers, int max_connections, bool verify_target)
{
	ezio::AddRequest req;
	req.set_verify_target(verify_target);
	req.set_torrent(torrent);
	req.set_save_path(save_path);
	req.set_seeding_mode(seeding);
	req.set_max_uploads(5);
	req.set_max_connections(max_connections);
	for (auto const& p : peers) req.add_peers(p);
	ezio::AddResponse resp;
	grpc::Status status = m_stub->AddTorrent(context(std::chrono::seconds(30)).get(), req, &resp);
	if (status.ok() && !resp.result()) return grpc::Status(grpc::StatusCode::UNKNOWN, "result=false");
	return status;
}

std::optional<ezio::Torrent> TestDaemon::status(std::string const& hash)
{
	ezio::UpdateRequest req;
	req.add_hashes(hash);
	ezio::UpdateStatus resp;
	if (!m_stub->GetTorrentStatus(context(std::chrono::seconds(10)).get(), req, &resp).ok()) return std::nullopt;
	auto const it = resp.torrents().find(hash);
	if (it == resp.torrents().end()) return std::nullopt;
	return it->second;
}

ezio::Torrent TestDaemon::wait_finished(std::string const& hash, std::chrono::seconds timeout)
{
	auto const deadline = std::chrono::steady_clock::now() + timeout;
	ezio::Torrent last;
	for (;;) {
		auto const t = status(hash);
		if (t) {
			last = *t;
			if (!t->error().empty()) {
				ADD_FAILURE() << "torrent " << hash << " on '" << m_name << "' failed: " << t->error();
				return last;
			}
			if (t->is_finished()) return last;
		}
		if (std::chrono::steady_clock::now() > deadline) {
			ADD_FAILURE() << "torrent " << hash << " on '" << m_name << "' not finished after " << timeout.count()
						  << " s; progress " << last.progress() << ", peers " << last.num_peers();
			return last;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
}

std::optional<ezio::Torrent> TestDaemon::wait_until(std::string const& hash,
	std::function<bool(ezio::Torrent const&)> const& done, std::chrono::seconds timeout)
{
	auto const deadline = std::chrono::steady_clock::now() + timeout;
	std::optional<ezio::Torrent> last;
	while (std::chrono::steady_clock::now() < deadline) {
		if (auto t = status(hash)) {
			last = std::move(t);
			if (done(*last)) break;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	return last;
}

std::unique_ptr<grpc::ClientContext> TestDaemon::context(std::chrono::seconds timeout) const
{
	auto ctx = std::make_unique<grpc::ClientContext>();
	ctx->set_deadline(std::chrono::system_clock::now() + timeout);
	if (!m_token.empty()) ctx->AddMetadata("authorization", "Bearer " + m_token);
	return ctx;
}

int TestDaemon::shutdown()
{
	ezio::Empty req, resp;
	m_stub->Shutdown(context(std::chrono::seconds(10)).get(), req, &resp);  // the channel may close under us
	auto const status = m_process->wait_for(std::chrono::seconds(20));
	if (!status) {
		m_process->signal(SIGKILL);
		return -1;
	}
	return *status;
}

}  // namespace ezio::test
