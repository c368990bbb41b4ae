#include "torrent/partclone_info.hpp"

#include <gtest/gtest.h>

namespace ezio::torrent {
namespace {

// As partclone 0.3.23 writes it for a small ext4 image.
constexpr char sample[] = R"(block_size: 1024
blocks_total: 65536
offset: 00000000000000000000000000000000
length: 00000000000000000000000001000000
offset: 00000000000000000000000001000000
length: 0000000000000000000000000064ac00
sha1: 6fd7ba1c1079eb318837c0b0df101b8987197be5
offset: 00000000000000000000000001800400
length: 00000000000000000000000000040800
sha1: c6196e315b3570062b2706686072fb70c2dbf573
)";

TEST(PartcloneInfo, ParsesWhatPartcloneWrites)
{
	auto const info = parse_partclone_info(sample);
	ASSERT_TRUE(info) << info.error();
	EXPECT_EQ(info->block_size, 1024);
	EXPECT_EQ(info->blocks_total, 65536);
	ASSERT_EQ(info->extents.size(), 3u);
	EXPECT_EQ(info->extents[0], (Extent{0, 0x1000000}));
	EXPECT_EQ(info->extents[1], (Extent{0x1000000, 0x64ac00}));
	EXPECT_EQ(info->extents[2], (Extent{0x1800400, 0x40800}));
	ASSERT_EQ(info->piece_hashes.size(), 2u);
	EXPECT_EQ(info->used_bytes(), 0x1000000 + 0x64ac00 + 0x40800);
}

TEST(PartcloneInfo, ToleratesCrLfAndBlankLines)
{
	std::string text = sample;
	std::string crlf;
	for (char c : text) {
		if (c == '\n') crlf += "\r\n\n";
		else crlf += c;
	}
	EXPECT_TRUE(parse_partclone_info(crlf));
}

struct BadCase {
	char const* name;
	char const* text;
	char const* words;  // the message must say this
};

class PartcloneInfoBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(PartcloneInfoBad, IsAnErrorThatNamesTheProblem)
{
	auto const info = parse_partclone_info(GetParam().text);
	ASSERT_FALSE(info);
	EXPECT_NE(info.error().find(GetParam().words), std::string::npos) << info.error();
}

constexpr char sha[] = "sha1: 6fd7ba1c1079eb318837c0b0df101b8987197be5\n";

INSTANTIATE_TEST_SUITE_P(Malformed, PartcloneInfoBad,
	::testing::Values(BadCase{"empty", "", "no extents"},
		BadCase{"no_colon", "offset 0000\n", "key: value"},
		BadCase{"length_first", "length: 1000\n", "without an offset"},
		BadCase{"offset_twice", "offset: 0\noffset: 1000\n", "without a length"},
		BadCase{"dangling_offset", "offset: 0\n", "has no length"},
		BadCase{"not_hex", "offset: 00zz\nlength: 10\n", "hex"},
		BadCase{"too_many_digits", "offset: 000000000000000000000000000000001\nlength: 10\n", "32 hex"},
		BadCase{"beyond_2_63", "offset: 00000000000000010000000000000000\nlength: 10\n", "2^63"},
		BadCase{"negative", "offset: -10\nlength: 10\n", "hex"},
		BadCase{"empty_extent", "offset: 0\nlength: 0\n", "empty extent"},
		BadCase{"overlap", "offset: 0\nlength: 2000\noffset: 1000\nlength: 10\n", "overlaps"},
		BadCase{"end_overflow", "offset: 7fffffffffffff00\nlength: 1000\n", "beyond 2^63"},
		BadCase{"bad_sha1", "offset: 0\nlength: 10\nsha1: 1234\n", "SHA-1"},
		BadCase{"no_sha1", "offset: 0\nlength: 10\n", "no sha1"},
		BadCase{"unknown_key", "colour: blue\n", "unknown key"},
		BadCase{"bad_block_size", "block_size: lots\n", "positive number"},
		BadCase{"past_the_device", "block_size: 4096\nblocks_total: 1\noffset: 0\nlength: 2000\nsha1: "
			"6fd7ba1c1079eb318837c0b0df101b8987197be5\n", "past the end"}),
	[](auto const& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ezio::torrent
