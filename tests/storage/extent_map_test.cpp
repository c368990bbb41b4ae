#include "storage/extent_map.hpp"

#include <random>

#include <gtest/gtest.h>

namespace ezio::storage {
namespace {

constexpr int kib = 1024;

lt::file_storage make_files(std::vector<std::pair<std::string, std::int64_t>> const& files, int piece_length,
	std::string const& name = "sda1")
{
	lt::file_storage fs;
	for (auto const& [file, size] : files) fs.add_file(name + "/" + file, size);
	fs.set_piece_length(piece_length);
	fs.set_num_pieces(int((fs.total_size() + piece_length - 1) / piece_length));
	return fs;
}

TEST(ParseExtentName, AcceptsThe16And32DigitFormsInEitherCase)
{
	EXPECT_EQ(parse_extent_name("00000000000000000000000000100000"), DiskOffset(0x100000));
	EXPECT_EQ(parse_extent_name("0000000000100000"), DiskOffset(0x100000));
	EXPECT_EQ(parse_extent_name("0000000000000000"), DiskOffset(0));
	EXPECT_EQ(parse_extent_name("00000000000000000000ABCDEF012345"), DiskOffset(0xabcdef012345));
	EXPECT_EQ(parse_extent_name("7fffffffffffffff"), DiskOffset(0x7fffffffffffffff));
}

TEST(ParseExtentName, RefusesWhatIsNotAnOffset)
{
	EXPECT_FALSE(parse_extent_name(""));
	EXPECT_FALSE(parse_extent_name("sda1.img"));
	EXPECT_FALSE(parse_extent_name("0x1000"));
	EXPECT_FALSE(parse_extent_name("-1000"));
	EXPECT_FALSE(parse_extent_name(" 1000"));
	EXPECT_FALSE(parse_extent_name("000000000000000000000000000000001"));  // 33 digits
	EXPECT_FALSE(parse_extent_name("8000000000000000"));                   // 2^63
	EXPECT_FALSE(parse_extent_name("00000000000000010000000000000000"));   // 2^64
}

TEST(ExtentMap, BuildsFromPartcloneStyleNames)
{
	auto const fs = make_files({{"00000000000000000000000000000000", 64 * kib},
		{"00000000000000000000000000100000", 32 * kib}}, 32 * kib);
	auto const map = ExtentMap::build(fs);
	ASSERT_TRUE(map) << map.error();
	EXPECT_EQ(map->end(), DiskOffset(0x100000 + 32 * kib));
	EXPECT_EQ(map->num_pieces(), 3);
	EXPECT_EQ(map->file_offset(lt::file_index_t{1}), DiskOffset(0x100000));
}

TEST(ExtentMap, BuildsASingleFileWholeImageTorrent)
{
	lt::file_storage fs;
	fs.add_file("0000000000000000", 100 * kib);
	fs.set_piece_length(64 * kib);
	fs.set_num_pieces(2);
	auto const map = ExtentMap::build(fs);
	ASSERT_TRUE(map) << map.error();
	EXPECT_EQ(map->end(), DiskOffset(100 * kib));
	std::vector<DiskRun> runs;
	map->map(lt::piece_index_t{1}, 0, 36 * kib, runs);
	ASSERT_EQ(runs.size(), 1u);
	EXPECT_EQ(runs[0].offset, DiskOffset(64 * kib));
	EXPECT_EQ(runs[0].length, 36 * kib);
}

TEST(ExtentMap, RefusesNamesThatAreNotHex)
{
	auto const map = ExtentMap::build(make_files({{"0000000000000000", 16 * kib}, {"notes.txt", 16 * kib}}, 16 * kib));
	ASSERT_FALSE(map);
	EXPECT_NE(map.error().find("notes.txt"), std::string::npos) << map.error();
}

TEST(ExtentMap, RefusesOverlappingAndUnsortedExtents)
{
	auto const overlap = ExtentMap::build(make_files({{"0000000000000000", 32 * kib}, {"0000000000004000", 16 * kib}}, 16 * kib));
	ASSERT_FALSE(overlap);
	EXPECT_NE(overlap.error().find("overlaps"), std::string::npos) << overlap.error();

	auto const unsorted = ExtentMap::build(make_files({{"0000000000100000", 16 * kib}, {"0000000000000000", 16 * kib}}, 16 * kib));
	EXPECT_FALSE(unsorted);
}

TEST(ExtentMap, AcceptsExtentsThatTouch)
{
	// partclone splits a run of used blocks at piece boundaries.
	auto const map = ExtentMap::build(make_files({{"0000000000000000", 16 * kib}, {"0000000000004000", 16 * kib}}, 16 * kib));
	ASSERT_TRUE(map) << map.error();
	// ...and one I/O can still cover both.
	std::vector<DiskRun> runs;
	map->map(lt::piece_index_t{0}, 0, 16 * kib, runs);
	map->map(lt::piece_index_t{1}, 0, 16 * kib, runs);
	ASSERT_EQ(runs.size(), 1u);
	EXPECT_EQ(runs[0].length, 32 * kib);
}

TEST(ExtentMap, RefusesFilesInSubdirectories)
{
	auto const map = ExtentMap::build(make_files({{"deeper/0000000000000000", 16 * kib}}, 16 * kib));
	EXPECT_FALSE(map);
}

TEST(ExtentMap, RefusesPadFiles)
{
	lt::file_storage fs;
	fs.add_file("sda1/0000000000000000", 10 * kib);
	fs.add_file("sda1/.pad/6144", 6 * kib, lt::file_storage::flag_pad_file);
	fs.add_file("sda1/0000000000100000", 16 * kib);
	fs.set_piece_length(16 * kib);
	fs.set_num_pieces(2);
	auto const map = ExtentMap::build(fs);
	ASSERT_FALSE(map);
	EXPECT_NE(map.error().find("pad"), std::string::npos) << map.error();
}

TEST(ExtentMap, MapsAPieceAcrossGapsBetweenExtents)
{
	// Three extents with gaps; piece length 16 KiB, so piece 0 spans the
	// first two extents and piece 1 spans the second and third.
	auto const map = ExtentMap::build(make_files({{"0000000000001000", 10 * kib},
		{"0000000000010000", 12 * kib}, {"0000000100000000", 10 * kib}}, 16 * kib));
	ASSERT_TRUE(map) << map.error();

	std::vector<DiskRun> runs;
	map->map(lt::piece_index_t{0}, 0, 16 * kib, runs);
	ASSERT_EQ(runs.size(), 2u);
	EXPECT_EQ(runs[0], (DiskRun{DiskOffset(0x1000), 10 * kib, lt::file_index_t{0}}));
	EXPECT_EQ(runs[1], (DiskRun{DiskOffset(0x10000), 6 * kib, lt::file_index_t{1}}));

	runs.clear();
	map->map(lt::piece_index_t{1}, 0, 16 * kib, runs);
	ASSERT_EQ(runs.size(), 2u);
	EXPECT_EQ(runs[0], (DiskRun{DiskOffset(0x10000 + 6 * kib), 6 * kib, lt::file_index_t{1}}));
	EXPECT_EQ(runs[1], (DiskRun{DiskOffset(0x100000000), 10 * kib, lt::file_index_t{2}}));
}

TEST(ExtentMap, PieceOffsetsAreNeverDiskOffsets)
{
	// One extent far into the disk: piece 0 must map there, not to 0.
	auto const map = ExtentMap::build(make_files({{"0000020000000000", 64 * kib}}, 16 * kib));  // 2 TiB
	ASSERT_TRUE(map) << map.error();
	std::vector<DiskRun> runs;
	map->map(lt::piece_index_t{2}, 4 * kib, 8 * kib, runs);
	ASSERT_EQ(runs.size(), 1u);
	EXPECT_EQ(runs[0].offset, DiskOffset((std::int64_t(2) << 40) + 36 * kib));
}

// Whatever the layout, our mapping must agree with libtorrent's own
// file_storage::map_block, which decides what the bytes of a piece are.
TEST(ExtentMap, AgreesWithLibtorrentMapBlockOnRandomLayouts)
{
	std::mt19937_64 rng(42);
	for (int round = 0; round < 200; ++round) {
		std::vector<std::pair<std::string, std::int64_t>> files;
		std::vector<std::int64_t> disk;
		std::int64_t offset = std::int64_t(rng() % 4) * 4096;
		int const count = 1 + int(rng() % 12);
		for (int i = 0; i < count; ++i) {
			std::int64_t const size = 1 + std::int64_t(rng() % (40 * kib));
			char name[17];
			std::snprintf(name, sizeof(name), "%016llx", static_cast<unsigned long long>(offset));
			files.emplace_back(name, size);
			disk.push_back(offset);
			offset += size + std::int64_t(rng() % 3) * std::int64_t(rng() % (1 << 20));  // sometimes touching
		}
		int const piece_length = 16 * kib << (rng() % 3);
		auto const fs = make_files(files, piece_length);
		auto const map = ExtentMap::build(fs);
		ASSERT_TRUE(map) << map.error();

		for (lt::piece_index_t const piece : fs.piece_range()) {
			int const size = fs.piece_size(piece);
			int const start = int(rng() % std::uint64_t(size));
			int const length = 1 + int(rng() % std::uint64_t(size - start));

			std::vector<DiskRun> runs;
			map->map(piece, start, length, runs);

			// Expand both answers to per-byte-run lists and compare.
			std::vector<std::pair<std::int64_t, std::int64_t>> ours, theirs;
			for (DiskRun const& r : runs) ours.emplace_back(r.offset.value(), r.length);
			for (lt::file_slice const& s : fs.map_block(piece, start, length)) {
				std::int64_t const at = disk[std::size_t(static_cast<int>(s.file_index))] + s.offset;
				if (!theirs.empty() && theirs.back().first + theirs.back().second == at) theirs.back().second += s.size;
				else theirs.emplace_back(at, s.size);
			}
			ASSERT_EQ(ours, theirs) << "round " << round << " piece " << static_cast<int>(piece);
		}
	}
}

}  // namespace
}  // namespace ezio::storage
