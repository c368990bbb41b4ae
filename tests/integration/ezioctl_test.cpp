// ezioctl driving real daemons: every subcommand, the auto-stop policy
// ending a deployment, and one clear line for every error.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

constexpr std::uint64_t target_seed = 0xc71;
constexpr std::int64_t mib = 1 << 20;

// No ezioctl command here may take long; a hang fails the test instead of
// stalling the suite.
CommandResult ctl(std::vector<std::string> args)
{
	args.insert(args.begin(), {"timeout", "120", ezioctl_binary()});
	return run(args);
}

CommandResult ctl(TestDaemon const& daemon, std::vector<std::string> args)
{
	args.insert(args.begin(), {"-l", daemon.address()});
	return ctl(args);
}

// The whole output is one line that starts with "ezioctl: " and says `what`.
void expect_one_line_error(CommandResult const& r, std::string const& what)
{
	EXPECT_EQ(r.status, 1) << r.output;
	EXPECT_EQ(r.output.rfind("ezioctl: ", 0), 0u) << r.output;
	EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
	EXPECT_NE(r.output.find(what), std::string::npos) << r.output;
}

std::string info_hash_of_file(std::string const& path)
{
	return info_hash_of(read_file(path));
}

TEST(Ezioctl, CreateFromInfoFilesystemAndDataAgree)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 20, 31);

	// --filesystem runs partclone itself; --from-info reads its list. Both
	// must make the torrent the tests' reference builder makes.
	std::string const info = dir.file("torrent.info");
	{
		std::filesystem::create_directories(dir.file("pc"));
		run_or_throw({"partclone.extfs", "-q", "-c", "-t", "-s", image.path, "-O", dir.file("pc"), "-z", "16777216"});
		std::filesystem::copy_file(dir.file("pc/torrent.info"), info);
	}
	auto const from_info = ctl({"create", "-o", dir.file("a.torrent"), "--from-info", info, "-n", "sda1"});
	ASSERT_EQ(from_info.status, 0) << from_info.output;
	auto const from_fs = ctl({"create", "-o", dir.file("b.torrent"), "--filesystem", image.path, "-n", "sda1"});
	ASSERT_EQ(from_fs.status, 0) << from_fs.output;
	EXPECT_EQ(info_hash_of_file(dir.file("a.torrent")), info_hash_of(partclone_torrent(image, "sda1")));
	EXPECT_EQ(info_hash_of_file(dir.file("b.torrent")), info_hash_of_file(dir.file("a.torrent")));

	// A piece length that does not match partclone's hashes is an error.
	auto const mismatch = ctl({"create", "-o", dir.file("c.torrent"), "--from-info", info, "-n", "sda1",
		"--piece-length", "4194304"});
	expect_one_line_error(mismatch, "piece hashes");
}

TEST(Ezioctl, CompanionFromABtzoneIsTheImagesAndVerifiesAgainstIt)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 20, 41);
	// Clonezilla's server: partclone writes T's list and each extent as a
	// file (-T), in the btzone directory `ezio -F` seeds.
	std::filesystem::create_directories(dir.file("btzone/sda1"));
	run_or_throw({"partclone.extfs", "-q", "-c", "-T", "-s", image.path, "-O", dir.file("btzone/sda1"), "-z",
		"16777216"});
	auto const t = ctl({"create", "-o", dir.file("t.torrent"), "--from-info", dir.file("btzone/sda1/torrent.info"),
		"-n", "sda1"});
	ASSERT_EQ(t.status, 0) << t.output;
	std::filesystem::remove(dir.file("btzone/sda1/torrent.info"));

	auto const from_files = ctl({"companion", dir.file("t.torrent"), dir.file("btzone"), "-o", dir.file("c1.torrent")});
	ASSERT_EQ(from_files.status, 0) << from_files.output;
	EXPECT_NE(from_files.output.find("the companion of"), std::string::npos) << from_files.output;
	auto const from_image = ctl({"companion", dir.file("t.torrent"), image.path, "-o", dir.file("c2.torrent"),
		"--threads", "1"});
	ASSERT_EQ(from_image.status, 0) << from_image.output;
	EXPECT_EQ(read_file(dir.file("c1.torrent")), read_file(dir.file("c2.torrent")));
	// The companion describes the image's used blocks: every chunk matches.
	auto const verified = ctl({"verify", dir.file("c1.torrent"), image.path});
	EXPECT_EQ(verified.status, 0) << verified.output;

	// Bytes that are not T's make no companion.
	auto const other = make_ext4_image(dir, "other", 64, 20, 42);
	expect_one_line_error(ctl({"companion", dir.file("t.torrent"), other.path, "-o", dir.file("c3.torrent")}),
		"does not match the torrent's hash");
	expect_one_line_error(ctl({"companion", dir.file("c1.torrent"), image.path, "-o", dir.file("c4.torrent")}),
		"chunked torrent");
	EXPECT_FALSE(std::filesystem::exists(dir.file("c3.torrent")));
}

TEST(Ezioctl, CreateDataCoversOnlyAllocatedRanges)
{
	ScratchDir dir;
	std::string const sparse = dir.file("sparse.img");
	create_sparse_file(sparse, 256 * mib);
	fill_pattern(sparse, 8 * mib, 3 * mib, 1);
	fill_pattern(sparse, 200 * mib, 1 * mib, 2);
	auto const r = ctl({"create", "-o", dir.file("d.torrent"), "--data", sparse, "--piece-length", "1048576"});
	ASSERT_EQ(r.status, 0) << r.output;
	EXPECT_NE(r.output.find("2 extents"), std::string::npos) << r.output;
	EXPECT_NE(r.output.find("4.0 MiB of data"), std::string::npos) << r.output;
	EXPECT_EQ(ctl({"verify", dir.file("d.torrent"), sparse}).status, 0);

	// Whole-image hashing gives the same torrent with one thread or all.
	auto const one = ctl({"create", "-o", dir.file("e1.torrent"), "--image", sparse, "--threads", "1"});
	auto const all = ctl({"create", "-o", dir.file("e2.torrent"), "--image", sparse});
	ASSERT_EQ(one.status, 0) << one.output;
	ASSERT_EQ(all.status, 0) << all.output;
	EXPECT_EQ(info_hash_of_file(dir.file("e1.torrent")), info_hash_of_file(dir.file("e2.torrent")));
}

TEST(Ezioctl, AChunkStoreIsMadeAtLevel6AndATorrentAloneAt3)
{
	// A store is made once and served as it is; a seeder without one
	// compresses every chunk it sends at the torrent's level.
	ScratchDir dir;
	std::string const sparse = dir.file("sparse.img");
	create_sparse_file(sparse, 16 * mib);
	fill_pattern(sparse, 1 * mib, 2 * mib, 1);
	auto const alone = ctl({"create", "--chunked", "--data", sparse, "-o", dir.file("a.torrent")});
	ASSERT_EQ(alone.status, 0) << alone.output;
	EXPECT_NE(alone.output.find("zstd level 3)"), std::string::npos) << alone.output;
	auto const stored = ctl({"create", "--chunked", "--data", sparse, "-o", dir.file("s.torrent"), "--store",
		dir.file("store")});
	ASSERT_EQ(stored.status, 0) << stored.output;
	EXPECT_NE(stored.output.find("zstd level 6)"), std::string::npos) << stored.output;
	auto const chosen = ctl({"create", "--chunked", "--data", sparse, "-o", dir.file("c.torrent"), "--store",
		dir.file("store2"), "--level", "3"});
	ASSERT_EQ(chosen.status, 0) << chosen.output;
	EXPECT_NE(chosen.output.find("zstd level 3)"), std::string::npos) << chosen.output;
	EXPECT_EQ(info_hash_of_file(dir.file("a.torrent")), info_hash_of_file(dir.file("c.torrent")));
}

TEST(Ezioctl, DrivesADaemonThroughEveryControlCommand)
{
	ScratchDir dir;
	std::string const source = dir.file("disk.img");
	create_sparse_file(source, 8 * mib);
	fill_pattern(source, 0, 8 * mib, 3);
	ASSERT_EQ(ctl({"create", "-o", dir.file("disk.torrent"), "--image", source, "-n", "disk",
		"--piece-length", "1048576"}).status, 0);
	std::string const hash = info_hash_of_file(dir.file("disk.torrent"));

	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	auto const version = ctl(seeder, {"version"});
	EXPECT_EQ(version.status, 0);
	EXPECT_FALSE(version.output.empty());

	ASSERT_EQ(ctl(seeder, {"add", dir.file("disk.torrent"), source, "--seed"}).status, 0);
	std::string const target = dir.file("target.img");
	create_sparse_file(target, 8 * mib);
	auto const add = ctl(leecher, {"add", dir.file("disk.torrent"), target, "--peer", seeder.peer(), "--max-uploads",
		"4", "--max-connections", "8", "--sequential"});
	ASSERT_EQ(add.status, 0) << add.output;
	ASSERT_TRUE(leecher.wait_finished(hash).is_finished());

	auto const table = ctl(leecher, {"status"});
	EXPECT_EQ(table.status, 0);
	EXPECT_NE(table.output.find("disk"), std::string::npos) << table.output;
	EXPECT_NE(table.output.find("100.0%"), std::string::npos) << table.output;

	auto const json = ctl(leecher, {"status", "--json", hash});
	ASSERT_EQ(json.status, 0);
	auto const parsed = nlohmann::json::parse(json.output);
	ASSERT_EQ(parsed.size(), 1u);
	EXPECT_EQ(parsed[0]["hash"], hash);
	EXPECT_EQ(parsed[0]["is_finished"], true);

	ASSERT_EQ(ctl(leecher, {"pause", hash}).status, 0);
	EXPECT_TRUE(leecher.status(hash)->is_paused());
	ASSERT_EQ(ctl(leecher, {"resume", hash}).status, 0);
	EXPECT_FALSE(leecher.status(hash)->is_paused());

	EXPECT_EQ(ctl({"verify", dir.file("disk.torrent"), target}).status, 0);
	EXPECT_EQ(ctl(leecher, {"shutdown"}).status, 0);
	EXPECT_EQ(leecher.process().wait_for(std::chrono::seconds(10)), 0);
	EXPECT_EQ(ctl(seeder, {"shutdown"}).status, 0);
	EXPECT_EQ(seeder.process().wait_for(std::chrono::seconds(10)), 0);
}

TEST(Ezioctl, WatchAutoStopEndsADeployment)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 24, 32);
	std::string const torrent = dir.file("sda1.torrent");
	write_file(torrent, partclone_torrent(image, "sda1"));
	std::string const target = dir.file("target.img");
	create_sparse_file(target, image.size);
	fill_pattern(target, 0, image.size, target_seed);

	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	ASSERT_EQ(ctl(seeder, {"add", torrent, image.path, "--seed"}).status, 0);
	ASSERT_EQ(ctl(leecher, {"add", torrent, target, "--peer", seeder.peer()}).status, 0);

	// --wait must outlast the leecher's start: a seeder nobody has asked
	// for anything for that long is paused, as the policy says.
	auto const watch = ctl({"-l", leecher.address(), "-l", seeder.address(), "watch", "--auto-stop", "--wait", "5",
		"--idle", "1", "--interval", "0.2"});
	EXPECT_EQ(watch.status, 0) << watch.output;
	EXPECT_NE(watch.output.find("100.0%"), std::string::npos) << watch.output;
	EXPECT_NE(watch.output.find("paused"), std::string::npos) << watch.output;
	EXPECT_NE(watch.output.find("daemon shut down"), std::string::npos) << watch.output;
	// Both daemons were shut down by the policy, cleanly.
	EXPECT_EQ(leecher.process().wait_for(std::chrono::seconds(10)), 0);
	EXPECT_EQ(seeder.process().wait_for(std::chrono::seconds(10)), 0);
	expect_extents_equal(image.path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
	EXPECT_EQ(ctl({"verify", torrent, target}).status, 0);
}

TEST(Ezioctl, WatchRedrawsInPlaceOnATerminal)
{
	ScratchDir dir;
	std::string const source = dir.file("disk.img");
	create_sparse_file(source, 3 * mib);
	fill_pattern(source, 0, 3 * mib, 5);
	write_file(dir.file("d.torrent"), whole_image_torrent(source, 1 << 20));
	// A slow seeder, so that watch sees the download in progress.
	TestDaemon seeder(dir, "seeder", {"--upload-rate-limit", "2"});
	ASSERT_EQ(ctl(seeder, {"add", dir.file("d.torrent"), source, "--seed"}).status, 0);

	for (bool terminal : {true, false}) {
		std::string const target = dir.file(terminal ? "t1.img" : "t2.img");
		create_sparse_file(target, 3 * mib);
		TestDaemon leecher(dir, terminal ? "leecher1" : "leecher2");
		ASSERT_EQ(ctl(leecher, {"add", dir.file("d.torrent"), target, "--peer", seeder.peer()}).status, 0);
		std::vector<std::string> const watch{"timeout", "120", ezioctl_binary(), "-l", leecher.address(), "watch",
			"--interval", "0.1", "--exit-when-done"};
		CommandResult r;
		if (terminal) {
			// script(1) gives watch a terminal.
			std::string command;
			for (auto const& w : watch) command += w + " ";
			r = run({"script", "-qec", command, "/dev/null"});
		} else {
			r = run(watch);
		}
		EXPECT_EQ(r.status, 0) << r.output;
		EXPECT_NE(r.output.find("100.0%"), std::string::npos) << r.output;
		if (terminal) {
			EXPECT_NE(r.output.find("\x1b[1A"), std::string::npos) << "no redraw in place: " << r.output;
		} else {
			EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << "escape codes in plain output: " << r.output;
			EXPECT_GE(std::count(r.output.begin(), r.output.end(), '\n'), 2) << r.output;
		}
		EXPECT_EQ(leecher.shutdown(), 0);
	}
	EXPECT_EQ(seeder.shutdown(), 0);
}

TEST(Ezioctl, WatchAutoStopFailsWhenATorrentFails)
{
	ScratchDir dir;
	// A target whose backing store is too small: the sync fails (see the
	// durability test).
	std::string const source = dir.file("source.img");
	create_sparse_file(source, 32 * mib);
	fill_pattern(source, 0, 16 * mib, 33);
	std::string const torrent = dir.file("t.torrent");
	write_file(torrent, extents_torrent(source, {{0, 16 * mib}}, "sdd1", 1 << 20));
	std::string const small = dir.file("small");
	std::filesystem::create_directories(small);
	run_or_throw({"mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small});
	create_sparse_file(small + "/backing.img", 32 * mib);
	std::string device = run_or_throw({"losetup", "--find", "--show", small + "/backing.img"});
	device.pop_back();
	{
		TestDaemon seeder(dir, "seeder");
		TestDaemon leecher(dir, "leecher");
		ASSERT_EQ(ctl(seeder, {"add", torrent, source, "--seed"}).status, 0);
		ASSERT_EQ(ctl(leecher, {"add", torrent, device, "--peer", seeder.peer()}).status, 0);
		auto const watch = ctl({"-l", leecher.address(), "watch", "--auto-stop", "--wait", "1", "--idle", "1",
			"--interval", "0.2"});
		EXPECT_EQ(watch.status, 1) << watch.output;
		EXPECT_NE(watch.output.find("Input/output error"), std::string::npos) << watch.output;
		EXPECT_EQ(leecher.process().wait_for(std::chrono::seconds(10)), 0);
		EXPECT_EQ(seeder.shutdown(), 0);
	}
	run({"losetup", "-d", device});
	run({"umount", small});
}

TEST(Ezioctl, VerifyNamesTheBadPieces)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 40, 34);
	std::string const torrent = dir.file("sda1.torrent");
	write_file(torrent, partclone_torrent(image, "sda1"));
	std::string const copy = dir.file("copy.img");
	std::filesystem::copy_file(image.path, copy);
	ASSERT_EQ(ctl({"verify", torrent, copy}).status, 0);

	// A byte in a gap does not matter...
	auto const gaps = gaps_between(image.info.extents, image.size);
	ASSERT_FALSE(gaps.empty());
	fill_pattern(copy, gaps.back().offset, 1, 9);
	EXPECT_EQ(ctl({"verify", torrent, copy}).status, 0);

	// ...a byte in the last extent does.
	auto const& last = image.info.extents.back();
	fill_pattern(copy, last.offset + last.length - 1, 1, 9);
	auto const bad = ctl({"verify", torrent, copy});
	EXPECT_EQ(bad.status, 1) << bad.output;
	int const last_piece = int((image.info.used_bytes() - 1) / partclone_piece_length);
	EXPECT_NE(bad.output.find("do not match: " + std::to_string(last_piece)), std::string::npos) << bad.output;
}

TEST(Ezioctl, CacheSizeChangesTheBudgetDuringADeployment)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 40, 35);
	std::string const torrent = dir.file("sda1.torrent");
	write_file(torrent, partclone_torrent(image, "sda1"));
	std::string const target = dir.file("target.img");
	create_sparse_file(target, image.size);

	// A slow seeder keeps the deployment going while the budget shrinks.
	TestDaemon seeder(dir, "seeder", {"--upload-rate-limit", "20"});
	TestDaemon leecher(dir, "leecher", {"--cache-size", "512"});
	ASSERT_EQ(ctl(seeder, {"add", torrent, image.path, "--seed"}).status, 0);
	ASSERT_EQ(ctl(leecher, {"add", torrent, target, "--peer", seeder.peer()}).status, 0);
	std::this_thread::sleep_for(std::chrono::milliseconds(500));
	auto const r = ctl(leecher, {"cache-size", "16"});
	EXPECT_EQ(r.status, 0) << r.output;
	EXPECT_NE(r.output.find("16 MiB"), std::string::npos) << r.output;

	auto const t = leecher.wait_finished(info_hash_of(read_file(torrent)));
	EXPECT_TRUE(t.is_finished());
	EXPECT_NE(leecher.log().find("engine memory budget: 16 MiB (was 512 MiB)"), std::string::npos);
	EXPECT_EQ(ctl({"verify", torrent, target}).status, 0);
	expect_one_line_error(ctl(leecher, {"cache-size", "5"}), "between 16 MiB and 1 TiB");
	EXPECT_EQ(leecher.shutdown(), 0);
	// The engine ends with the budget it was given.
	EXPECT_NE(leecher.log().find("budget_mib=16"), std::string::npos) << leecher.log();
	EXPECT_EQ(seeder.shutdown(), 0);

	TestDaemon file_mode(dir, "file-mode", {"-F"});
	expect_one_line_error(ctl(file_mode, {"cache-size", "64"}), "no memory budget");
	EXPECT_EQ(file_mode.shutdown(), 0);
}

TEST(Ezioctl, ErrorsAreOneClearLine)
{
	ScratchDir dir;
	expect_one_line_error(ctl({"-l", "unix:" + dir.file("nobody.sock"), "status"}), "cannot reach the ezio daemon");
	expect_one_line_error(ctl({"create", "-o", dir.file("x.torrent"), "--image", dir.file("missing.img")}),
		"missing.img");
	write_file(dir.file("garbage.torrent"), "not bencoded");
	expect_one_line_error(ctl({"verify", dir.file("garbage.torrent"), "/dev/null"}), "bencoding");
	write_file(dir.file("bad.info"), "offset: 10\n");
	expect_one_line_error(ctl({"create", "-o", dir.file("y.torrent"), "--from-info", dir.file("bad.info"), "-n",
		"x"}), "bad.info");

	TestDaemon daemon(dir, "daemon");
	expect_one_line_error(ctl(daemon, {"pause", "not-a-hash"}), "not an info-hash");
	expect_one_line_error(ctl(daemon, {"resume", std::string(40, 'b')}), "no torrent");
	expect_one_line_error(ctl(daemon, {"add", dir.file("unreadable.torrent"), "/dev/null"}), "cannot read");
	write_file(dir.file("v.torrent"), extents_torrent(dir.file("bad.info"), {{0, 5}}, "v", 16384));
	expect_one_line_error(ctl(daemon, {"add", dir.file("v.torrent"), dir.file("nope.img")}), "does not exist");
	// Usage errors are CLI11's, with status 2.
	EXPECT_EQ(ctl({"add"}).status, 2);
	EXPECT_EQ(ctl({"frobnicate"}).status, 2);
	EXPECT_EQ(daemon.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
