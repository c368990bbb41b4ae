// The control plane is a way to overwrite this machine's disks: it stays on
// loopback unless a token guards it, and a target list can fence it in.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

std::string write_token(ScratchDir const& dir, std::string const& name, std::string const& token)
{
	std::string const path = dir.file(name);
	write_file(path, token + "\n");
	return path;
}

// A 1 MiB image and its torrent, an allowed target (allowed-1.img, which
// --allow-target DIR/allowed-*.img admits) and a forbidden file holding
// fill_pattern seed 4.
struct FencedTargets {
	std::string source, torrent, allowed, forbidden;
};

FencedTargets fenced_targets(ScratchDir const& dir)
{
	FencedTargets t{dir.file("source.img"), "", dir.file("allowed-1.img"), dir.file("system.img")};
	create_sparse_file(t.source, 1 << 20);
	fill_pattern(t.source, 0, 1 << 20, 3);
	t.torrent = whole_image_torrent(t.source, 1 << 20);
	create_sparse_file(t.allowed, 1 << 20);
	create_sparse_file(t.forbidden, 1 << 20);
	fill_pattern(t.forbidden, 0, 1 << 20, 4);
	return t;
}

// A seeder of fenced_targets' image, for the tests of the peer port.
struct Seeded {
	ScratchDir dir;
	FencedTargets const targets = fenced_targets(dir);
	std::string const hash = info_hash_of(targets.torrent);
	TestDaemon seeder{dir, "seeder"};

	bool seeding() { return seeder.add(targets.torrent, targets.source, true).ok(); }
};

grpc::Status version(TestDaemon& daemon, std::string const& token)
{
	grpc::ClientContext ctx;
	if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
	ezio::Empty req;
	ezio::VersionResponse resp;
	return daemon.api().GetVersion(&ctx, req, &resp);
}

TEST(Security, RefusesToListenBeyondLoopbackWithoutAToken)
{
	auto const r = run({ezio_binary(), "-l", "0.0.0.0:0", "-p", "0", "--state-dir", ""});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.output.find("refusing to listen on 0.0.0.0:0 without --auth-token-file"), std::string::npos)
		<< r.output;
}

TEST(Security, RefusesAWeakTokenFile)
{
	ScratchDir dir;
	auto const r = run({ezio_binary(), "-l", "127.0.0.1:0", "-p", "0", "--state-dir", "", "--auth-token-file",
		write_token(dir, "weak", "1234")});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.output.find("at least 16"), std::string::npos) << r.output;
}

TEST(Security, EveryCallMustCarryTheToken)
{
	ScratchDir dir;
	std::string const token = "correct-horse-battery-staple";
	std::string const token_file = write_token(dir, "token", token);

	// With a token the daemon may listen where the network reaches it.
	{
		auto open = Process::spawn({ezio_binary(), "-l", "0.0.0.0:0", "-p", "0", "--state-dir", "", "--auth-token-file",
			token_file},
			dir.file("open.log"));
		for (int i = 0; i < 200 && read_file(dir.file("open.log")).find("gRPC listening") == std::string::npos; ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		EXPECT_TRUE(open->running()) << read_file(dir.file("open.log"));
		open->signal(SIGTERM);
		EXPECT_EQ(open->wait_for(std::chrono::seconds(10)), 0);
	}

	TestDaemon daemon(dir, "daemon", {"--auth-token-file", token_file}, token);

	EXPECT_TRUE(version(daemon, token).ok());
	EXPECT_EQ(version(daemon, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
	EXPECT_EQ(version(daemon, "correct-horse-battery-stapl").error_code(), grpc::StatusCode::UNAUTHENTICATED);
	EXPECT_EQ(version(daemon, token + "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
	{
		grpc::ClientContext ctx;  // no token: not even Shutdown
		ezio::Empty req, resp;
		EXPECT_EQ(daemon.api().Shutdown(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
		EXPECT_TRUE(daemon.process().running());
	}

	// ezioctl: with the token it works, without it says what is missing.
	auto const with = run({ezioctl_binary(), "-l", daemon.address(), "--token-file", token_file, "version"});
	EXPECT_EQ(with.status, 0) << with.output;
	auto const without = run({ezioctl_binary(), "-l", daemon.address(), "version"});
	EXPECT_EQ(without.status, 1);
	EXPECT_NE(without.output.find("--token-file"), std::string::npos) << without.output;
	EXPECT_EQ(run({ezioctl_binary(), "-l", daemon.address(), "--token-file", token_file, "shutdown"}).status, 0);
	EXPECT_EQ(daemon.process().wait_for(std::chrono::seconds(10)), 0);
}

TEST(Security, AllowTargetFencesInAddTorrent)
{
	ScratchDir dir;
	auto const [source, torrent, allowed, forbidden] = fenced_targets(dir);
	std::filesystem::create_symlink(forbidden, dir.file("allowed-2.img"));

	TestDaemon daemon(dir, "daemon", {"--allow-target", dir.file("allowed-*.img")});
	auto const denied = daemon.add(torrent, forbidden, false);
	EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
	EXPECT_NE(denied.error_message().find("--allow-target"), std::string::npos) << denied.error_message();
	// A symlink named like an allowed target leads to a forbidden one.
	auto const by_link = daemon.add(torrent, dir.file("allowed-2.img"), false);
	EXPECT_EQ(by_link.error_code(), grpc::StatusCode::PERMISSION_DENIED) << by_link.error_message();
	// Seeding from a forbidden place is refused too: the list is about any
	// target the API names.
	EXPECT_EQ(daemon.add(torrent, source, true).error_code(), grpc::StatusCode::PERMISSION_DENIED);
	EXPECT_TRUE(daemon.add(torrent, allowed, false).ok());
	EXPECT_EQ(daemon.shutdown(), 0);
}

// A local user in its own mount namespace bind-mounts a file it must not
// write over an allowed target, and names the target through that
// namespace's root (/proc/PID/root/...): the daemon must write its own
// allowed target, never the file underneath the user's view.
TEST(Security, AllowTargetJudgesTheOpenedFileNotAnotherNamespacesView)
{
	ScratchDir dir;
	auto const [source, torrent, allowed, forbidden] = fenced_targets(dir);

	std::string const ns_log = dir.file("namespace.log");
	auto holder = Process::spawn({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
		"mount --bind " + forbidden + " " + allowed + " && echo ready && exec sleep 60"}, ns_log);
	ASSERT_TRUE(holder->wait_for_line(ns_log, "ready", std::chrono::seconds(10))) << read_file(ns_log);

	TestDaemon seeder(dir, "seeder");
	ASSERT_TRUE(seeder.add(torrent, source, true).ok());
	TestDaemon daemon(dir, "daemon", {"--allow-target", dir.file("allowed-*.img")});
	std::string const via_namespace = "/proc/" + std::to_string(holder->pid()) + "/root" + allowed;
	auto const added = daemon.add(torrent, via_namespace, false, {seeder.peer()});
	if (added.ok()) {
		auto const hash = info_hash_of(torrent);
		EXPECT_TRUE(daemon.wait_finished(hash).is_finished());
	}
	EXPECT_FALSE(find_pattern_mismatch(forbidden, 0, 1 << 20, 4)) << "the daemon wrote the forbidden file";
	holder->signal(SIGKILL);
	EXPECT_EQ(daemon.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// Without a token the default API (loopback TCP) obeys root, the daemon's
// user and members of --api-group; any other local user gets
// PERMISSION_DENIED, for every call (Shutdown too).
TEST(Security, OnLoopbackWithoutATokenOnlyRootAndTheApiGroupMayCall)
{
	ScratchDir dir;
	// A copy of ezioctl that user nobody can run wherever the build tree is.
	::chmod(dir.path().c_str(), 0711);
	std::string const ezioctl = dir.file("ezioctl");
	std::filesystem::copy_file(ezioctl_binary(), ezioctl);
	std::filesystem::permissions(ezioctl, std::filesystem::perms(0755));
	for (bool const with_group : {false, true}) {
		std::string const name = with_group ? "grouped" : "plain";
		std::vector<std::string> argv{ezio_binary(), "-l", "127.0.0.1:0", "-p", "0", "--state-dir", ""};
		if (with_group) argv.insert(argv.end(), {"--api-group", "nogroup"});
		std::string const log = dir.file(name + ".log");
		auto daemon = Process::spawn(argv, log);
		auto const port = daemon->wait_for_line(log, "gRPC listening on 127.0.0.1:");
		ASSERT_TRUE(port) << read_file(log);
		std::string const address = "127.0.0.1:" + *port;
		std::vector<std::string> const as_nobody{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			ezioctl, "-l", address};
		auto with = [](std::vector<std::string> argv, std::vector<std::string> const& more) {
			argv.insert(argv.end(), more.begin(), more.end());
			return argv;
		};
		auto const status = run(with(as_nobody, {"status"}));
		auto const stop = run(with(as_nobody, {"shutdown"}));
		if (with_group) {
			EXPECT_EQ(status.status, 0) << status.output;
		} else {
			EXPECT_NE(status.status, 0) << status.output;
			EXPECT_NE(status.output.find("only root"), std::string::npos) << status.output;
			EXPECT_NE(stop.status, 0) << stop.output;
			EXPECT_TRUE(daemon->running()) << "a local user shut the daemon down";
			auto const as_root = run({ezioctl_binary(), "-l", address, "status"});
			EXPECT_EQ(as_root.status, 0) << as_root.output;
			EXPECT_EQ(run({ezioctl_binary(), "-l", address, "shutdown"}).status, 0);
		}
		EXPECT_TRUE(daemon->wait_for(std::chrono::seconds(20)));
	}
}

// --peer-filter: no data from or to an address outside the given networks,
// neither on an outgoing nor on an incoming connection.
TEST(Security, PeerFilterKeepsOtherNetworksOut)
{
	Seeded s;
	ASSERT_TRUE(s.seeding());
	auto const& [source, torrent, allowed, forbidden] = s.targets;

	// Outgoing: the filtered client is told of the seeder but must not call it.
	TestDaemon fenced(s.dir, "fenced", {"--peer-filter", "10.0.0.0/8"});
	ASSERT_TRUE(fenced.add(torrent, allowed, false, {s.seeder.peer()}).ok());
	// Incoming: a filtered seeder must refuse a client that calls it.
	TestDaemon fenced_seeder(s.dir, "fenced-seeder", {"--peer-filter", "10.0.0.0/8"});
	ASSERT_TRUE(fenced_seeder.add(torrent, source, true).ok());
	TestDaemon caller(s.dir, "caller");
	ASSERT_TRUE(caller.add(torrent, forbidden, false, {fenced_seeder.peer()}).ok());

	std::this_thread::sleep_for(std::chrono::seconds(4));
	auto const out = fenced.status(s.hash);
	auto const in = caller.status(s.hash);
	ASSERT_TRUE(out && in);
	EXPECT_EQ(out->total_payload_download(), 0);
	EXPECT_EQ(out->num_peers(), 0);
	EXPECT_EQ(in->total_payload_download(), 0);
	EXPECT_EQ(in->num_peers(), 0);

	// The network the peers are in is let through.
	TestDaemon lab(s.dir, "lab", {"--peer-filter", "127.0.0.0/8"});
	std::string const target = s.dir.file("lab.img");
	create_sparse_file(target, 1 << 20);
	ASSERT_TRUE(lab.add(torrent, target, false, {s.seeder.peer()}).ok());
	EXPECT_TRUE(lab.wait_finished(s.hash, std::chrono::seconds(30)).is_finished());
	for (TestDaemon* d : {&lab, &caller, &fenced_seeder, &fenced, &s.seeder}) EXPECT_EQ(d->shutdown(), 0);
}

// Peers come from the tracker and AddTorrent only: a peer's PEX message
// naming another address must not make the daemon call it.
TEST(Security, APexMessageDoesNotMakeTheDaemonCallAnyone)
{
	ScratchDir dir;
	auto const [source, torrent, allowed, forbidden] = fenced_targets(dir);
	std::string const gossip_log = dir.file("pex-peer.log");
	auto gossip = Process::spawn({"/usr/bin/python3", PEX_PEER_SCRIPT, info_hash_of(torrent)}, gossip_log);
	auto const port = gossip->wait_for_line(gossip_log, "listening on ");
	ASSERT_TRUE(port) << read_file(gossip_log);
	TestDaemon daemon(dir, "daemon");
	ASSERT_TRUE(daemon.add(torrent, allowed, false, {"127.0.0.1:" + *port}).ok());
	ASSERT_TRUE(gossip->wait_for(std::chrono::seconds(30))) << read_file(gossip_log);
	std::string const said = read_file(gossip_log);
	EXPECT_NE(said.find("pex sent"), std::string::npos) << said;
	EXPECT_NE(said.find("bait not called"), std::string::npos) << said;
	EXPECT_EQ(daemon.shutdown(), 0);
}

// Valid handshakes that never show interest, 9 a second from 20 addresses,
// once kept a seeder's 6 slots (Clonezilla's limit) full and a client out
// for as long as the flood lasted: a connection over which nothing is
// wanted must give its slot back. Then the flood's connections, unchoked by
// libtorrent as they came, held every upload slot and the client stayed
// choked through one or two of its stall cycles (13-23 s in 5 of 18 runs):
// an interested peer takes the slot of one that is not interested.
TEST(Security, AHandshakeFloodDoesNotKeepAClientFromTheSeeder)
{
	Seeded s;
	ASSERT_TRUE(s.seeding());
	auto const& [source, torrent, allowed, forbidden] = s.targets;
	std::string const flood_log = s.dir.file("flood.log");
	auto flood = Process::spawn(
		{"/usr/bin/python3", HANDSHAKE_FLOOD_SCRIPT, std::to_string(s.seeder.bt_port()), s.hash, "60"}, flood_log);
	ASSERT_TRUE(flood->wait_for_line(flood_log, "answered")) << read_file(flood_log);
	std::this_thread::sleep_for(std::chrono::seconds(2));  // 18 more: every slot taken

	TestDaemon client(s.dir, "client");
	ASSERT_TRUE(client.add(torrent, allowed, false, {s.seeder.peer()}).ok());
	EXPECT_TRUE(client.wait_finished(s.hash, std::chrono::seconds(15)).is_finished());
	EXPECT_TRUE(flood->running()) << "the flood ended before the client finished";
	EXPECT_FALSE(find_pattern_mismatch(allowed, 0, 1 << 20, 3)) << "the client does not hold the image";
	for (TestDaemon* d : {&client, &s.seeder}) EXPECT_EQ(d->shutdown(), 0);
}

std::int64_t peak_rss_mib(pid_t pid)
{
	std::string const status = read_file("/proc/" + std::to_string(pid) + "/status");
	auto const at = status.find("VmHWM:");
	return at == std::string::npos ? -1 : std::atoll(status.c_str() + at + 6) / 1024;
}

// Big calls with a wrong token (24 of 60 MiB once took the daemon to
// 1.2 GiB): the server's memory is bounded, and it still answers.
TEST(Security, BigCallsWithAWrongTokenDoNotGrowTheDaemonWithoutBound)
{
	ScratchDir dir;
	std::string const token = "correct-horse-battery-staple";
	TestDaemon daemon(dir, "daemon", {"--auth-token-file", write_token(dir, "token", token)}, token);
	std::int64_t const before = peak_rss_mib(daemon.process().pid());
	std::string const payload(60 << 20, 'x');
	std::vector<std::thread> callers;
	std::atomic<int> refused{0};
	for (int i = 0; i < 24; ++i)
		callers.emplace_back([&] {
			grpc::ClientContext ctx;
			ctx.AddMetadata("authorization", "Bearer wrong-token-wrong-token");
			ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
			ezio::AddRequest req;
			req.set_torrent(payload);
			req.set_save_path("/nonexistent");
			ezio::AddResponse resp;
			if (!daemon.api().AddTorrent(&ctx, req, &resp).ok()) ++refused;
		});
	for (auto& t : callers) t.join();
	std::int64_t const peak = peak_rss_mib(daemon.process().pid());
	std::printf("daemon peak RSS %lld MiB before, %lld MiB after 24 calls of 60 MiB with a wrong token\n",
		static_cast<long long>(before), static_cast<long long>(peak));
	EXPECT_EQ(refused.load(), 24);
	EXPECT_LT(peak - before, 600) << "MiB of growth";
	EXPECT_TRUE(version(daemon, token).ok());
	// A call of that size with the token is still read whole: the bound is
	// on memory, not on what a caller may send.
	for (int i = 0; i < 2; ++i) {
		grpc::ClientContext ctx;
		ctx.AddMetadata("authorization", "Bearer " + token);
		ezio::AddRequest req;
		req.set_torrent(payload);
		req.set_save_path("/nonexistent");
		ezio::AddResponse resp;
		auto const status = daemon.api().AddTorrent(&ctx, req, &resp);
		EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
	}
	EXPECT_EQ(daemon.shutdown(), 0);
}

// systemd starts services with a soft limit of 1,024 open files: 1,050
// connections to the API once exhausted it, and gRPC's listener never
// accepted again. The daemon raises its own limit, and connections that
// do not speak HTTP/2 are closed within seconds.
// `count` bare TCP connections to the API on `port`, held open.
std::vector<int> flood_connections(int port, int count)
{
	std::vector<int> flood;
	for (int i = 0; i < count; ++i) {
		int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sockaddr_in to{};
		to.sin_family = AF_INET;
		to.sin_port = htons(std::uint16_t(port));
		::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) flood.push_back(fd);
		else if (fd >= 0) ::close(fd);
	}
	return flood;
}

// A daemon under `prlimit --nofile=LIMIT`, its API on a free loopback port.
struct LimitedDaemon {
	ScratchDir dir;
	std::string const log = dir.file("daemon.log");
	std::unique_ptr<Process> process;
	std::string address;

	explicit LimitedDaemon(std::string const& limit)
	{
		process = Process::spawn({"prlimit", "--nofile=" + limit, ezio_binary(), "-l", "127.0.0.1:0", "-p", "0",
			"--state-dir", ""}, log);
		auto const listening = process->wait_for_line(log, "gRPC listening on 127.0.0.1:");
		if (!listening) throw std::runtime_error(read_file(log));
		address = "127.0.0.1:" + std::to_string(std::atoi(listening->c_str()));
	}
	int port() const { return std::atoi(address.substr(address.find(':') + 1).c_str()); }
	int status() const { return run({"timeout", "10", ezioctl_binary(), "-l", address, "status"}).status; }
	void stop()
	{
		EXPECT_EQ(run({ezioctl_binary(), "-l", address, "shutdown"}).status, 0);
		EXPECT_TRUE(process->wait_for(std::chrono::seconds(20)));
	}
};

// The test's own limit must let it open the flood.
bool enough_descriptors_for_a_flood(rlim_t& hard)
{
	rlimit limit{};
	if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max < 4096) return false;
	hard = limit.rlim_max;
	if (limit.rlim_cur < 2048) {
		limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4096);
		if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
	}
	return true;
}

TEST(Security, AConnectionFloodDoesNotKillTheApi)
{
	rlim_t hard = 0;
	if (!enough_descriptors_for_a_flood(hard)) GTEST_SKIP() << "the hard open-file limit is too low for the flood";
	LimitedDaemon daemon("1024:" + std::to_string(hard));
	std::vector<int> const flood = flood_connections(daemon.port(), 1050);
	EXPECT_EQ(flood.size(), 1050u);
	std::this_thread::sleep_for(std::chrono::seconds(1));
	EXPECT_EQ(daemon.status(), 0) << "during the flood";
	for (int fd : flood) ::close(fd);
	std::this_thread::sleep_for(std::chrono::seconds(1));
	EXPECT_EQ(daemon.status(), 0) << "after the flood\n" << read_file(daemon.log);
	daemon.stop();
}

// With hard = soft = 1,024 the daemon cannot raise its limit: the flood
// makes gRPC's accept4 fail once, and gRPC 1.51 never accepts on that
// listener again. The server notices that it no longer answers and starts
// again on the same address.
TEST(Security, AFloodUnderALowHardLimitStopsTheApiOnlyUntilItEnds)
{
	rlim_t hard = 0;
	if (!enough_descriptors_for_a_flood(hard)) GTEST_SKIP() << "the hard open-file limit is too low for the flood";
	LimitedDaemon daemon("1024:1024");
	std::vector<int> const flood = flood_connections(daemon.port(), 1100);
	std::this_thread::sleep_for(std::chrono::seconds(2));
	for (int fd : flood) ::close(fd);
	auto const ended = std::chrono::steady_clock::now();
	bool answered = false;
	while (!answered && std::chrono::steady_clock::now() - ended < std::chrono::seconds(30)) answered = daemon.status() == 0;
	auto const took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - ended);
	EXPECT_TRUE(answered) << read_file(daemon.log);
	EXPECT_LE(took.count(), 20) << "seconds until the API answered again";
	daemon.stop();
}

}  // namespace
}  // namespace ezio::test
