// A real ezio daemon in its own process, driven over its gRPC API.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "ezio.grpc.pb.h"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace ezio::test {

class TestDaemon {
public:
	// Starts `ezio` listening on a unix socket in `dir` and a free
	// BitTorrent port, with `extra_args`, and waits until its API answers.
	// With a `token`, the daemon must be started with --auth-token-file and
	// every call of this harness carries it.
	TestDaemon(ScratchDir const& dir, std::string const& name, std::vector<std::string> const& extra_args = {},
		std::string token = {});
	~TestDaemon();  // kills the daemon if it still runs

	int bt_port() const { return m_port; }
	// How other daemons reach this one.
	std::string peer() const { return "127.0.0.1:" + std::to_string(m_port); }
	std::string const& log_path() const { return m_log; }
	// Its gRPC address, for ezioctl -l.
	std::string address() const { return "unix:" + m_socket; }
	std::string log() const;
	ezio::EZIO::Stub& api() { return *m_stub; }
	std::shared_ptr<grpc::Channel> channel() const { return m_channel; }
	Process& process() { return *m_process; }

	// AddTorrent with Clonezilla's limits (5 uploads, `max_connections`
	// connections: 6).
	grpc::Status add(std::string const& torrent, std::string const& save_path, bool seeding,
		std::vector<std::string> const& peers = {}, int max_connections = 6, bool verify_target = false);
	std::optional<ezio::Torrent> status(std::string const& hash);

	// Polls until the torrent reports is_finished. Returns its last status;
	// fails the test on an error state or a timeout.
	ezio::Torrent wait_finished(std::string const& hash,
		std::chrono::seconds timeout = std::chrono::seconds(120));
	// Polls until `done` holds for the torrent's status, or `timeout`.
	// Returns its last status (nullopt if it never had one).
	std::optional<ezio::Torrent> wait_until(std::string const& hash,
		std::function<bool(ezio::Torrent const&)> const& done, std::chrono::seconds timeout);

	// The Shutdown RPC, then waits for a clean exit; returns the exit status.
	int shutdown();

private:
	// A context with the deadline and the token.
	std::unique_ptr<grpc::ClientContext> context(std::chrono::seconds timeout) const;

	ScratchDir const& m_dir;
	std::string m_token;
	std::string m_name;
	std::string m_socket;
	std::string m_log;
	int m_port = 0;
	std::unique_ptr<Process> m_process;
	std::shared_ptr<grpc::Channel> m_channel;
	std::unique_ptr<ezio::EZIO::Stub> m_stub;
};

// The paths of the binaries under test.
std::string ezio_binary();
std::string ezioctl_binary();

}  // namespace ezio::test
