// The companion transfer between real daemons (docs/format.md, "The
// companion transfer"): a -F seeder of a Clonezilla btzone makes, keeps and
// seeds the companion and names it in the torrent's handshakes; a raw
// client fetches the torrent as its companion and verifies the torrent's
// own hashes on its target.
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

constexpr std::uint64_t target_seed = 0xc0a;

// Clonezilla's server for `image`: partclone's btzone directory (each
// extent a file, -T) and the torrent of its list.
struct Btzone {
	std::string dir;      // what `ezio -F` seeds: DIR/sda1/<32 hex digits>
	std::string torrent;  // bencoded
	std::string hash;
};

Btzone make_btzone(ScratchDir const& dir, Ext4Image const& image)
{
	Btzone b;
	b.dir = dir.file("btzone");
	std::filesystem::create_directories(b.dir + "/sda1");
	run_or_throw({"partclone.extfs", "-q", "-c", "-T", "-s", image.path, "-O", b.dir + "/sda1", "-z", "16777216"});
	std::filesystem::remove(b.dir + "/sda1/torrent.info");
	b.torrent = partclone_torrent(image, "sda1");
	b.hash = info_hash_of(b.torrent);
	return b;
}

// The companion `ezioctl companion` makes of the same bytes: its file and
// info-hash.
std::pair<std::string, std::string> companion_made_here(ScratchDir const& dir, Btzone const& b)
{
	std::string const t = dir.file("t.torrent");
	write_file(t, b.torrent);
	std::string const c = dir.file("c.torrent");
	run_or_throw({ezioctl_binary(), "companion", t, b.dir, "-o", c});
	return {c, info_hash_of(read_file(c))};
}

// `target` holds the image's used blocks, its gaps still hold the pattern
// patterned_target() wrote, and e2fsck finds the filesystem clean.
void expect_image_on(std::string const& target, Ext4Image const& image)
{
	expect_extents_equal(image.path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
	EXPECT_EQ(run({"e2fsck", "-fn", target}).status, 0);
}

// Waits until `daemon`'s log matches `pattern`; returns the match.
std::smatch wait_for_log(TestDaemon const& daemon, std::regex const& pattern, std::string& log,
	std::chrono::seconds limit = std::chrono::seconds(30))
{
	std::smatch match;
	auto const deadline = std::chrono::steady_clock::now() + limit;
	do {
		log = daemon.log();
		if (std::regex_search(log, match, pattern)) return match;
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	} while (std::chrono::steady_clock::now() < deadline);
	return match;
}

TEST(Companion, AFileModeSeederMakesKeepsSeedsAndNamesTheCompanion)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 48, 20, 61);
	Btzone const b = make_btzone(dir, image);
	auto const [c_torrent, c_hash] = companion_made_here(dir, b);
	std::regex const seeded("companion ([0-9a-f]{40}) seeded \\([0-9]+ chunks, [0-9]+ MiB; (made|found in the cache)");

	std::string log;
	{
		// 2 MiB/s: slow enough that the client hears of the companion
		// before it has much of the torrent.
		TestDaemon seeder(dir, "seeder", {"-F", "--state-dir", dir.file("seeder-state"), "--upload-rate-limit", "2"});
		ASSERT_TRUE(seeder.add(b.torrent, b.dir, true).ok());
		auto const made = wait_for_log(seeder, seeded, log);
		ASSERT_FALSE(made.empty()) << log;
		// The seeder's companion is the one made anywhere else of these bytes.
		EXPECT_EQ(made[1], c_hash);
		EXPECT_EQ(made[2], "made");

		// A client of the torrent hears of it in the handshake, fetches the
		// companion instead, and finishes the torrent verified on its target.
		std::string const target = patterned_target(dir, target_seed, "t-target.img", image.size);
		TestDaemon client(dir, "client");
		ASSERT_TRUE(client.add(b.torrent, target, false, {seeder.peer()}).ok());
		auto const rode = wait_for_log(client, std::regex("fetching it as its companion ([0-9a-f]{40})"), log);
		ASSERT_FALSE(rode.empty()) << log;
		EXPECT_EQ(rode[1], c_hash);
		// Paused and resumed while the companion runs, many times over a few
		// ticks (Clonezilla pauses torrents; the companion follows, and the
		// pause must not meet the client's once-a-second work in a lock
		// cycle): the deployment still ends verified.
		for (int i = 0; i < 20; ++i) {
			set_paused(client, b.hash, true);
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
			set_paused(client, b.hash, false);
		}
		EXPECT_TRUE(client.wait_finished(b.hash).is_finished());
		auto const verified = wait_for_log(client, std::regex("([0-9]+) of ([0-9]+) pieces verified on the target"), log);
		ASSERT_FALSE(verified.empty()) << log;
		EXPECT_EQ(verified[1], verified[2]) << "every piece of the torrent came through its companion";
		// The seeder sent the companion, not the torrent: of the torrent only
		// what went before the advert was heard (about 2 s at 2 MiB/s).
		auto const t_served = seeder.status(b.hash);
		ASSERT_TRUE(t_served);
		EXPECT_LT(t_served->total_payload_upload(), 8 << 20);
		EXPECT_EQ(client.shutdown(), 0);
		expect_image_on(target, image);

		// The companion itself is served: a client given its torrent gets it
		// from the seeder's store, and it writes the image's used blocks.
		std::string const c_target = patterned_target(dir, target_seed, "c-target.img", image.size);
		TestDaemon c_client(dir, "c-client");
		ASSERT_TRUE(c_client.add(read_file(c_torrent), c_target, false, {seeder.peer()}).ok());
		EXPECT_TRUE(c_client.wait_finished(c_hash).is_finished());
		EXPECT_EQ(c_client.shutdown(), 0);
		expect_image_on(c_target, image);
		EXPECT_EQ(seeder.shutdown(), 0);
	}
	// Started again on the same state directory: kept, not made again.
	TestDaemon again(dir, "again", {"-F", "--state-dir", dir.file("seeder-state")});
	ASSERT_TRUE(again.add(b.torrent, b.dir, true).ok());
	auto const found = wait_for_log(again, seeded, log);
	ASSERT_FALSE(found.empty()) << log;
	EXPECT_EQ(found[2], "found in the cache");
	EXPECT_EQ(again.shutdown(), 0);
}

// A hostile seeder: it serves T's true bytes but names a companion that
// passes its own hashes and every check of its metadata (it names T, has
// T's extents) while one byte of T's last piece differs. The client rides
// it, T's own SHA-1s reject that piece, and T fetches it as itself: the
// target ends as the image, a piece later.
TEST(Companion, AHostileCompanionCostsAPieceNotTheData)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 48, 20, 63);
	Btzone const b = make_btzone(dir, image);
	ASSERT_GE(image.info.piece_hashes.size(), 2U);

	// The lie: the image with one byte of its last extent flipped, made
	// into a companion whose "companion of" is then set to T.
	std::string const evil = dir.file("evil.img");
	std::filesystem::copy_file(image.path, evil);
	{
		auto const& last = image.info.extents.back();
		std::string data = read_file(evil);
		data[static_cast<std::size_t>(last.offset + last.length / 2)] ^= 0x5a;
		write_file(evil, data);
	}
	std::string const evil_t = dir.file("evil-t.torrent");
	write_file(evil_t, extents_torrent(evil, image.info.extents, "sda1", partclone_piece_length));
	std::string const evil_c = dir.file("evil-c.torrent");
	run_or_throw({ezioctl_binary(), "companion", evil_t, evil, "-o", evil_c, "--store", dir.file("evil-store")});
	std::string const lie = edited(read_file(evil_c), [&](lt::entry& l) {
		l[chunk::companion_key] = parse_sha1_hex(b.hash)->to_string();
	});
	// Planted where the seeder keeps the companion it made of T.
	std::string const kept = dir.file("hostile-state") + "/companions/" + b.hash;
	std::filesystem::create_directories(kept);
	write_file(kept + "/companion.torrent", lie);
	std::filesystem::copy(dir.file("evil-store") + "/sda1", kept + "/sda1", std::filesystem::copy_options::recursive);

	std::string log;
	TestDaemon seeder(dir, "hostile", {"-F", "--state-dir", dir.file("hostile-state"), "--upload-rate-limit", "2"});
	ASSERT_TRUE(seeder.add(b.torrent, b.dir, true).ok());
	auto const seeded = wait_for_log(seeder, std::regex("companion ([0-9a-f]{40}) seeded .*found in the cache"), log);
	ASSERT_FALSE(seeded.empty()) << log;
	EXPECT_EQ(seeded[1], info_hash_of(lie));

	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon client(dir, "client");
	ASSERT_TRUE(client.add(b.torrent, target, false, {seeder.peer()}).ok());
	auto const rode = wait_for_log(client, std::regex("fetching it as its companion ([0-9a-f]{40})"), log);
	ASSERT_FALSE(rode.empty()) << log;
	EXPECT_TRUE(client.wait_finished(b.hash).is_finished());
	auto const verified = wait_for_log(client, std::regex("([0-9]+) of ([0-9]+) pieces verified on the target"), log);
	ASSERT_FALSE(verified.empty()) << log;
	EXPECT_EQ(std::stoi(verified[1]) + 1, std::stoi(verified[2])) << "the lie is in exactly one piece of the torrent";
	EXPECT_EQ(client.shutdown(), 0);
	expect_image_on(target, image);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// One stock libtorrent client in the swarm (python3-libtorrent, which
// ignores the advert): the EZIO client rides the companion, the stock one
// fetches the torrent as it is, from the seeder and from the EZIO client
// once it holds verified pieces; both end with the image's bytes.
TEST(Companion, AStockClientInTheSwarmGetsTheTorrentAsItIs)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 48, 20, 64);
	Btzone const b = make_btzone(dir, image);
	std::string log;
	// Three peers on 127.0.0.1.
	std::string const same_host = "--allow-multiple-connections-per-ip";
	TestDaemon seeder(dir, "seeder",
		{"-F", "--state-dir", dir.file("seeder-state"), "--upload-rate-limit", "2", same_host});
	ASSERT_TRUE(seeder.add(b.torrent, b.dir, true).ok());
	ASSERT_FALSE(wait_for_log(seeder, std::regex("companion [0-9a-f]{40} seeded"), log).empty()) << log;

	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon client(dir, "client", {same_host});
	std::string const t_file = dir.file("t.torrent");
	write_file(t_file, b.torrent);
	std::string const stock_dir = dir.file("stock");
	std::filesystem::create_directories(stock_dir);
	std::string const stock_log = dir.file("stock.log");
	auto stock = Process::spawn(
		{"/usr/bin/python3", STOCK_CLIENT_SCRIPT, t_file, stock_dir, seeder.peer(), client.peer()}, stock_log);
	auto const port = stock->wait_for_line(stock_log, "listening on ");
	ASSERT_TRUE(port) << read_file(stock_log);
	ASSERT_TRUE(client.add(b.torrent, target, false, {seeder.peer(), "127.0.0.1:" + *port}).ok());

	ASSERT_FALSE(wait_for_log(client, std::regex("fetching it as its companion"), log).empty())
		<< log << "\n---- stock client ----\n" << read_file(stock_log);
	EXPECT_TRUE(client.wait_finished(b.hash).is_finished());
	ASSERT_TRUE(stock->wait_for_line(stock_log, "finished in ", std::chrono::seconds(60))) << read_file(stock_log);
	EXPECT_EQ(client.shutdown(), 0);
	expect_image_on(target, image);
	// The stock client wrote T's files, one per extent, as partclone's
	// btzone holds them.
	int files = 0;
	for (auto const& f : std::filesystem::directory_iterator(b.dir + "/sda1")) {
		std::string const name = f.path().filename().string();
		EXPECT_EQ(read_file(stock_dir + "/sda1/" + name), read_file(f.path().string())) << name;
		++files;
	}
	EXPECT_EQ(files, static_cast<int>(image.info.extents.size()));
	EXPECT_EQ(seeder.shutdown(), 0);
}

// A source that will offer no companion (a raw-mode seeder; -F with
// --no-companion) says so in its handshake, and a client goes on at once
// instead of waiting `hold_limit` for an advert.
TEST(Companion, AClientOfASourceWithoutOneGoesOnAtOnce)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 32, 12, 63);
	std::string const torrent = partclone_torrent(image, "sda1");
	std::string const hash = info_hash_of(torrent);
	TestDaemon seeder(dir, "seeder");
	ASSERT_TRUE(seeder.add(torrent, image.path, true).ok());
	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon client(dir, "client");
	ASSERT_TRUE(client.add(torrent, target, false, {seeder.peer()}).ok());
	std::string log;
	auto const released = wait_for_log(client, std::regex("torrent [0-9a-f]{40}: (.*); it travels as it is"), log);
	ASSERT_FALSE(released.empty()) << log;
	EXPECT_EQ(released[1], "its source offers no companion");
	EXPECT_TRUE(client.wait_finished(hash).is_finished());
	EXPECT_EQ(client.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	expect_image_on(target, image);
}

TEST(Companion, NoCompanionWithTheFlagOrForADamagedBtzone)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 32, 12, 62);
	Btzone const b = make_btzone(dir, image);
	std::string log;
	{
		TestDaemon off(dir, "off", {"-F", "--no-companion"});
		ASSERT_TRUE(off.add(b.torrent, b.dir, true).ok());
		std::this_thread::sleep_for(std::chrono::seconds(3));
		EXPECT_EQ(off.log().find("companion"), std::string::npos) << off.log();
		EXPECT_EQ(off.shutdown(), 0);
	}
	// One byte of one extent file flipped: T's hash check finds it, and T
	// is still seeded (libtorrent will refuse that piece itself).
	std::string const first = std::filesystem::directory_iterator(b.dir + "/sda1")->path().string();
	std::string data = read_file(first);
	data[data.size() / 2] ^= 0x20;
	write_file(first, data);
	TestDaemon seeder(dir, "seeder", {"-F"});
	ASSERT_TRUE(seeder.add(b.torrent, b.dir, true).ok());
	auto const refused = wait_for_log(seeder, std::regex("no companion, it travels as it is: (.*)"), log);
	ASSERT_FALSE(refused.empty()) << log;
	EXPECT_NE(refused[1].str().find("does not match the torrent's hash"), std::string::npos) << refused[1];
	EXPECT_TRUE(seeder.status(b.hash).has_value());
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
