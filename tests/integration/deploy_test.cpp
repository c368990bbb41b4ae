// Real daemons moving real bytes: a seeder and a leecher in separate
// processes deploy torrents onto targets pre-filled with a pattern; every
// covered byte must match the source and every gap must keep the pattern.
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"
#include "torrent/torrent_builder.hpp"

namespace ezio::test {
namespace {

constexpr std::uint64_t target_seed = 0x5eed;
constexpr int piece_length = 1 << 20;

// A target of `size` bytes, filled with the pattern that gaps must keep.
std::string patterned_target(ScratchDir const& dir, std::string const& name, std::int64_t size)
{
	std::string const path = dir.file(name);
	create_sparse_file(path, size);
	fill_pattern(path, 0, size, target_seed);
	return path;
}

// `target` holds the image's used blocks and nothing else changed.
void expect_image_deployed(Ext4Image const& image, std::string const& target)
{
	expect_extents_equal(image.path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
}

// The seeder serves the golden image; the leecher writes a target that was
// filled with a pattern first.
void deploy_and_verify(ScratchDir const& dir, std::string const& torrent, std::string const& source,
	std::string const& seed_path, std::string const& target_path, std::string const& check_path,
	std::vector<torrent::Extent> const& extents, std::int64_t target_size)
{
	std::string const hash = info_hash_of(torrent);
	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(seeder.add(torrent, seed_path, true).ok());
	auto const added = leecher.add(torrent, target_path, false, {seeder.peer()});
	ASSERT_TRUE(added.ok()) << added.error_message();

	auto const done = leecher.wait_finished(hash);
	ASSERT_TRUE(done.is_finished());
	EXPECT_DOUBLE_EQ(done.progress(), 1.0);
	EXPECT_EQ(done.num_pieces(), done.pieces_total());

	expect_extents_equal(source, check_path, extents);
	expect_gaps_untouched(check_path, gaps_between(extents, target_size), target_seed);

	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

TEST(Deploy, PartcloneTorrentOfARealExt4Image)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 128, 48, 1);
	// The point of the test: many extents with gaps, pieces spanning them.
	ASSERT_GE(image.info.extents.size(), 10u);
	ASSERT_LT(image.info.used_bytes(), image.size);
	std::string const torrent = partclone_torrent(image, "sda1");

	std::string const target = patterned_target(dir, "target.img", image.size);
	deploy_and_verify(dir, torrent, image.path, image.path, target, target, image.info.extents, image.size);
}

TEST(Deploy, WholeImageTorrentLeavesTheRestOfALargerTarget)
{
	ScratchDir dir;
	std::string const source = dir.file("disk.img");
	std::int64_t const size = (24 << 20) + 12345;  // the last piece is short
	create_sparse_file(source, size);
	fill_pattern(source, 0, size, 99);
	std::string const torrent = whole_image_torrent(source, piece_length);

	std::int64_t const target_size = size + (3 << 20);
	std::string const target = patterned_target(dir, "target.img", target_size);
	deploy_and_verify(dir, torrent, source, source, target, target, {{0, size}}, target_size);
}

TEST(Deploy, LoopBlockDevicesOnBothEnds)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 24, 2);
	std::string const torrent = partclone_torrent(image, "sdb1");
	std::string const backing = patterned_target(dir, "target-backing.img", image.size);

	LoopDevice const source_device(image.path, /*read_only=*/true);
	LoopDevice const target_device(backing);
	deploy_and_verify(dir, torrent, image.path, source_device.path(), target_device.path(), target_device.path(),
		image.info.extents, image.size);
}

TEST(Deploy, TwoPartitionsIntoOneDaemonAtOnce)
{
	ScratchDir dir;
	auto const first = make_ext4_image(dir, "part1", 64, 20, 3);
	auto const second = make_ext4_image(dir, "part2", 48, 16, 4);
	std::string const torrent1 = partclone_torrent(first, "sda1");
	std::string const torrent2 = partclone_torrent(second, "sda2");
	std::string const target1 = patterned_target(dir, "sda1.img", first.size);
	std::string const target2 = patterned_target(dir, "sda2.img", second.size);

	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(seeder.add(torrent1, first.path, true).ok());
	ASSERT_TRUE(seeder.add(torrent2, second.path, true).ok());

	// seeding_mode trusts the target: complete at once, nothing is hashed.
	auto const seed = seeder.status(info_hash_of(torrent1));
	ASSERT_TRUE(seed.has_value());
	EXPECT_TRUE(seed->is_finished());
	EXPECT_EQ(seed->state(), 5) << "expected seeding, not checking";

	// The hashes filter of GetTorrentStatus returns just what was asked.
	{
		ezio::UpdateRequest req;
		req.add_hashes(info_hash_of(torrent2));
		ezio::UpdateStatus resp;
		grpc::ClientContext ctx;
		ASSERT_TRUE(seeder.api().GetTorrentStatus(&ctx, req, &resp).ok());
		ASSERT_EQ(resp.hashes_size(), 1);
		EXPECT_EQ(resp.hashes(0), info_hash_of(torrent2));
		EXPECT_EQ(resp.torrents().size(), 1u);
		EXPECT_EQ(resp.torrents().begin()->second.name(), "sda2");
	}
	{
		ezio::UpdateRequest all;
		ezio::UpdateStatus resp;
		grpc::ClientContext ctx;
		ASSERT_TRUE(seeder.api().GetTorrentStatus(&ctx, all, &resp).ok());
		EXPECT_EQ(resp.torrents().size(), 2u);
	}

	ASSERT_TRUE(leecher.add(torrent1, target1, false, {seeder.peer()}).ok());
	ASSERT_TRUE(leecher.add(torrent2, target2, false, {seeder.peer()}).ok());

	EXPECT_TRUE(leecher.wait_finished(info_hash_of(torrent1)).is_finished());
	EXPECT_TRUE(leecher.wait_finished(info_hash_of(torrent2)).is_finished());
	expect_image_deployed(first, target1);
	expect_image_deployed(second, target2);
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// -F: libtorrent's own storage writes each extent as a file named by its
// offset; a file-mode daemon then seeds them to a raw one.
TEST(Deploy, FileModeDownloadsAndSeedsExtentFiles)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 20, 5);
	std::string const torrent = partclone_torrent(image, "sda1");
	std::string const hash = info_hash_of(torrent);
	std::string const directory = dir.file("files");
	std::filesystem::create_directories(directory);

	TestDaemon seeder(dir, "seeder");
	TestDaemon file_mode(dir, "file-mode", {"-F"});
	ASSERT_TRUE(seeder.add(torrent, image.path, true).ok());
	ASSERT_TRUE(file_mode.add(torrent, directory, false, {seeder.peer()}).ok());
	ASSERT_TRUE(file_mode.wait_finished(hash).is_finished());

	std::string const golden = read_file(image.path);
	for (auto const& e : image.info.extents) {
		std::string const file = directory + "/sda1/" + torrent::extent_name(e.offset, 32);
		ASSERT_EQ(std::filesystem::file_size(file), std::uintmax_t(e.length)) << file;
		EXPECT_TRUE(read_file(file) == golden.substr(std::size_t(e.offset), std::size_t(e.length)))
			<< file << " differs from the image";
	}
	ASSERT_EQ(seeder.shutdown(), 0);

	// Now the file-mode daemon is the only source.
	std::string const target = patterned_target(dir, "target.img", image.size);
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(leecher.add(torrent, target, false, {file_mode.peer()}).ok());
	ASSERT_TRUE(leecher.wait_finished(hash).is_finished());
	expect_image_deployed(image, target);
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(file_mode.shutdown(), 0);
}

// Offsets beyond 4 GiB and 2 TiB must survive every step (names, mapping,
// pwrite) as 64-bit values. Sparse files on tmpfs make this free.
TEST(Deploy, SparseMultiTebibyteImageWithExtentsBeyond4GiBAnd2TiB)
{
	ScratchDir dir;
	std::int64_t const tib = std::int64_t(1) << 40, gib = std::int64_t(1) << 30, mib = 1 << 20;
	std::int64_t const size = 3 * tib;
	std::vector<torrent::Extent> const extents{
		{mib, 3 * mib},                            // near the start
		{4 * gib - mib / 2, 3 * mib / 2},          // across 4 GiB
		{2 * tib - mib / 4, 2 * mib + 4096},       // across 2 TiB
		{3 * tib - 2 * mib, 2 * mib},              // at the very end
	};
	std::string const source = dir.file("huge-source.img");
	create_sparse_file(source, size);
	for (auto const& e : extents) fill_pattern(source, e.offset, e.length, 1234);
	std::string const torrent = extents_torrent(source, extents, "nvme0n1p1", piece_length);

	// Fill only what surrounds each extent: the places a wrong offset would hit.
	std::string const target = dir.file("huge-target.img");
	create_sparse_file(target, size);
	std::vector<torrent::Extent> neighbourhoods;
	for (auto const& e : extents) {
		std::int64_t const from = std::max<std::int64_t>(0, e.offset - 2 * mib);
		std::int64_t const to = std::min(size, e.offset + e.length + 2 * mib);
		fill_pattern(target, from, to - from, target_seed);
		if (e.offset > from) neighbourhoods.push_back({from, e.offset - from});
		if (to > e.offset + e.length) neighbourhoods.push_back({e.offset + e.length, to - e.offset - e.length});
	}

	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(seeder.add(torrent, source, true).ok());
	ASSERT_TRUE(leecher.add(torrent, target, false, {seeder.peer()}).ok());
	ASSERT_TRUE(leecher.wait_finished(info_hash_of(torrent)).is_finished());
	expect_extents_equal(source, target, extents);
	expect_gaps_untouched(target, neighbourhoods, target_seed);
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
