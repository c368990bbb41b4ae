// Starting and stopping the daemon: flags, version, and a prompt clean exit
// on SIGINT, SIGTERM and the Shutdown RPC.
#include <signal.h>

#include <chrono>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

using namespace std::chrono_literals;

TEST(Lifecycle, VersionAndHelp)
{
	auto const version = run({ezio_binary(), "--version"});
	EXPECT_EQ(version.status, 0);
	EXPECT_EQ(version.output.rfind("ezio ", 0), 0u) << version.output;

	auto const help = run({ezio_binary(), "--help"});
	EXPECT_EQ(help.status, 0);
	// Every flag Clonezilla passes (docs/api.md) is there.
	for (char const* flag : {"-F", "--file", "-l", "--listen", "--cache-size", "--aio-threads", "--slow-start",
			 "--slow-start-period", "-p", "--port", "--allow-multiple-connections-per-ip", "--upload-rate-limit",
			 "-v", "--version", "-h", "--help"})
		EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
}

TEST(Lifecycle, UsageErrorsExitWithAMessage)
{
	auto const bad_flag = run({ezio_binary(), "--no-such-flag"});
	EXPECT_EQ(bad_flag.status, 2);
	EXPECT_NE(bad_flag.output.find("no-such-flag"), std::string::npos) << bad_flag.output;

	auto const bad_value = run({ezio_binary(), "--cache-size", "lots"});
	EXPECT_EQ(bad_value.status, 2);
	EXPECT_NE(bad_value.output.find("cache-size"), std::string::npos) << bad_value.output;
}

TEST(Lifecycle, UnusableListenAddressFailsAtStart)
{
	auto const r = run({ezio_binary(), "-l", "unix:/nonexistent/dir/ezio.sock", "-p", "0", "--state-dir", ""});
	EXPECT_NE(r.status, 0);
	EXPECT_NE(r.output.find("cannot listen"), std::string::npos) << r.output;
}

void expect_prompt_exit(TestDaemon& daemon, std::function<void()> stop)
{
	auto const start = std::chrono::steady_clock::now();
	stop();
	auto const status = daemon.process().wait_for(5s);
	auto const took = std::chrono::steady_clock::now() - start;
	ASSERT_TRUE(status.has_value()) << "still running after 5 s";
	EXPECT_EQ(*status, 0);
	EXPECT_LT(took, 1s) << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

TEST(Lifecycle, SigtermStopsAnIdleDaemonInUnderASecond)
{
	ScratchDir dir;
	TestDaemon daemon(dir, "daemon");
	expect_prompt_exit(daemon, [&] { daemon.process().signal(SIGTERM); });
}

TEST(Lifecycle, SigintStopsAnIdleDaemonInUnderASecond)
{
	ScratchDir dir;
	TestDaemon daemon(dir, "daemon");
	expect_prompt_exit(daemon, [&] { daemon.process().signal(SIGINT); });
}

TEST(Lifecycle, ShutdownRpcStopsTheDaemonInUnderASecond)
{
	ScratchDir dir;
	TestDaemon daemon(dir, "daemon");
	expect_prompt_exit(daemon, [&] {
		grpc::ClientContext ctx;
		ezio::Empty req, resp;
		EXPECT_TRUE(daemon.api().Shutdown(&ctx, req, &resp).ok());
	});
}

TEST(Lifecycle, GetVersionAnswers)
{
	ScratchDir dir;
	TestDaemon daemon(dir, "daemon");
	grpc::ClientContext ctx;
	ezio::Empty req;
	ezio::VersionResponse resp;
	ASSERT_TRUE(daemon.api().GetVersion(&ctx, req, &resp).ok());
	EXPECT_FALSE(resp.version().empty());
	EXPECT_EQ(daemon.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
