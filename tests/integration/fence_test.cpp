// -F mode's fence (docs/security.md, "-F mode"): a daemon started with
// --allow-target DIR reads and writes nothing outside DIR, whatever links
// another local user makes below it, before the transfer or during it.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

namespace fs = std::filesystem;

constexpr uid_t nobody = 65534;

// Runs a shell command as an unprivileged user (nobody), as the attacker.
void as_nobody(std::string const& command)
{
	run_or_throw({"setpriv", "--reuid", std::to_string(nobody), "--regid", std::to_string(nobody), "--clear-groups",
		"/bin/sh", "-c", command});
}

// Swaps the names `a` and `b` in one step (renameat2 RENAME_EXCHANGE), as
// nobody. A move then a link would leave a moment with neither, in which
// the daemon, writing inside its fence, may create the folder again.
void exchange_as_nobody(std::string const& a, std::string const& b)
{
	char const* const from = a.c_str();
	char const* const to = b.c_str();
	pid_t const pid = ::fork();
	if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
	if (pid == 0) {
		// Only async-signal-safe calls here: the test process has threads.
		if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody, nobody, nobody) != 0
			|| ::setresuid(nobody, nobody, nobody) != 0)
			::_exit(100);
		::_exit(::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0 ? 0 : errno);
	}
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int const code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		throw std::runtime_error("exchanging " + a + " and " + b + " as nobody failed: "
			+ (code == 100 ? std::string("could not become nobody") : std::strerror(code)));
	}
}

// Files evil/f0 ... evil/f{count-1} of `size` bytes under `root`, and a v1
// torrent of them named "evil".
std::string evil_torrent(std::string const& root, int count, int size)
{
	fs::create_directories(root + "/evil");
	lt::file_storage files;
	for (int i = 0; i < count; ++i) {
		std::string const name = "evil/f" + std::to_string(i);
		create_sparse_file(root + "/" + name, size);
		fill_pattern(root + "/" + name, 0, size, std::uint64_t(i));
		files.add_file(name, size);
	}
	lt::create_torrent ct(files, 16 * 1024, lt::create_torrent::v1_only);
	lt::set_piece_hashes(ct, root);
	std::string out;
	lt::bencode(std::back_inserter(out), ct.generate());
	return out;
}

// A fenced directory that the attacker (nobody) owns, and a directory
// outside it standing for /etc/cron.d.
struct Fence {
	ScratchDir dir;
	std::string const allowed = dir.file("allowed");
	std::string const outside = dir.file("outside");
	std::string const source = dir.file("source");

	Fence()
	{
		fs::create_directories(allowed);
		fs::create_directories(outside);
		::chmod(dir.path().c_str(), 0755);
		if (::chown(allowed.c_str(), nobody, nobody) != 0) throw std::runtime_error("chown failed");
	}

	bool outside_is_empty() const { return fs::is_empty(outside); }
};

TEST(Fence, ALinkAnotherUserMadeBelowTheDirectoryIsRefused)
{
	Fence fence;
	std::string const torrent = evil_torrent(fence.source, 1, 64 << 10);
	as_nobody("ln -s " + fence.outside + " " + fence.allowed + "/evil");

	TestDaemon seeder(fence.dir, "seeder", {"-F"});
	ASSERT_TRUE(seeder.add(torrent, fence.source, true).ok());
	TestDaemon daemon(fence.dir, "daemon", {"-F", "--allow-target", fence.allowed});
	auto const added = daemon.add(torrent, fence.allowed, false, {seeder.peer()});
	EXPECT_EQ(added.error_code(), grpc::StatusCode::PERMISSION_DENIED) << added.error_message();
	EXPECT_NE(added.error_message().find(fence.allowed + "/evil"), std::string::npos) << added.error_message();
	if (added.ok()) daemon.wait_finished(info_hash_of(torrent), std::chrono::seconds(20));
	EXPECT_TRUE(fence.outside_is_empty()) << "the daemon wrote outside its fence";

	// Seeding reads through the fence the same way.
	fs::remove(fence.allowed + "/evil");
	fs::create_directories(fence.allowed + "/real");
	fs::copy_file(fence.source + "/evil/f0", fence.allowed + "/real/f0");
	as_nobody("ln -s " + fence.allowed + "/real " + fence.allowed + "/evil");
	auto const seeding = daemon.add(torrent, fence.allowed, true);
	EXPECT_EQ(seeding.error_code(), grpc::StatusCode::PERMISSION_DENIED) << seeding.error_message();
	EXPECT_EQ(daemon.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// The torrent's folder is a real directory when the torrent is added;
// while it downloads, the attacker swaps it, in one step, for a link to
// the outside. What libtorrent opens after that must fail, not land
// outside.
TEST(Fence, ALinkSwappedInWhileTheTorrentDownloadsLeadsNowhere)
{
	Fence fence;
	int const files = 32;
	std::string const torrent = evil_torrent(fence.source, files, 128 << 10);
	std::string const hash = info_hash_of(torrent);
	as_nobody("mkdir " + fence.allowed + "/evil");

	// 4 MiB at 1 MiB/s: the swap comes while most files are still to open.
	TestDaemon seeder(fence.dir, "seeder", {"-F", "--upload-rate-limit", "1"});
	ASSERT_TRUE(seeder.add(torrent, fence.source, true).ok());
	TestDaemon daemon(fence.dir, "daemon", {"-F", "--allow-target", fence.allowed});
	ASSERT_TRUE(daemon.add(torrent, fence.allowed, false, {seeder.peer()}).ok());
	daemon.wait_until(hash, [](ezio::Torrent const& t) { return t.total_done() > 0; }, std::chrono::seconds(20));
	as_nobody("ln -s " + fence.outside + " " + fence.allowed + "/link");
	exchange_as_nobody(fence.allowed + "/link", fence.allowed + "/evil");

	auto last = daemon.wait_until(hash,
		[](ezio::Torrent const& t) { return !t.error().empty() || t.is_finished(); }, std::chrono::seconds(30));
	ASSERT_TRUE(last.has_value());
	// libtorrent's own error can show a moment before the daemon has
	// looked at the path and said which link it met.
	if (!last->is_finished())
		last = daemon.wait_until(hash,
			[](ezio::Torrent const& t) { return t.error().find("is a symbolic link") != std::string::npos; },
			std::chrono::seconds(5)).value_or(*last);
	EXPECT_TRUE(fence.outside_is_empty()) << "the daemon wrote outside its fence";
	EXPECT_FALSE(last->is_finished()) << "finished, though its folder was taken away";
	EXPECT_NE(last->error().find("'" + fence.allowed + "/evil' is a symbolic link"), std::string::npos)
		<< last->error();
	EXPECT_EQ(daemon.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
