// The chunk format's rules: windows cut right, the description survives
// bencoding, hostile descriptions and frames are refused.
#include "chunk/layout.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>

#include "chunk/codec.hpp"
#include "support/scratch_dir.hpp"
#include "torrent/chunk_maker.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::chunk {
namespace {

constexpr std::int64_t window = 1 << 20;

Layout two_chunks()
{
	Layout layout;
	layout.window = window;
	layout.codec_version = codec_version();
	layout.chunks = {{0, {{0, 4096}, {8192, 100}}, 4196, 300, Codec::zstd, {}},
		{5 * window, {{window - 10, 10}}, 10, 10, Codec::stored, {}}};
	return layout;
}

// The files of a torrent of two_chunks(): chunk, pad, chunk.
lt::file_storage two_chunk_files()
{
	lt::file_storage files;
	files.add_file("d/0", 300);
	files.add_file("d/.pad/x", window - 300, lt::file_storage::flag_pad_file);
	files.add_file("d/1", 10);
	files.set_piece_length(int(window));
	files.set_num_pieces(2);
	return files;
}

TEST(ChunkLayout, ExtentsAreCutAtWindowsAndTouchingOnesJoined)
{
	std::vector<torrent::Extent> const extents{{100, 50}, {150, 10}, {window - 8, 16}, {3 * window, window}};
	auto const chunks = torrent::cut_into_windows(extents, window);
	ASSERT_EQ(chunks.size(), 3u);
	EXPECT_EQ(chunks[0].disk_offset, 0);
	EXPECT_EQ(chunks[0].extents, (std::vector<Extent>{{100, 60}, {window - 8, 8}}));
	EXPECT_EQ(chunks[1].disk_offset, window);
	EXPECT_EQ(chunks[1].extents, (std::vector<Extent>{{0, 8}}));
	EXPECT_EQ(chunks[2].extents, (std::vector<Extent>{{0, window}}));
	EXPECT_EQ(chunks[0].raw_length + chunks[1].raw_length + chunks[2].raw_length, 50 + 10 + 16 + window);
}

// 1 MiB windows until the extents touch more than max_auto_chunks of them;
// then 2, 4, ... up to the format's largest. What counts is the windows
// touched, not the used bytes: a scattered image needs larger ones sooner.
TEST(ChunkLayout, TheAutomaticWindowKeepsATorrentToItsChunks)
{
	std::int64_t const mib = 1 << 20;
	std::int64_t const most = torrent::max_auto_chunks;
	EXPECT_EQ(torrent::auto_window({{0, 4096}}), mib);
	EXPECT_EQ(torrent::auto_window({{0, most * mib}}), mib);
	EXPECT_EQ(torrent::auto_window({{0, most * mib + 1}}), 2 * mib);
	EXPECT_EQ(torrent::auto_window({{0, 4 * most * mib}}), 4 * mib);
	EXPECT_EQ(torrent::auto_window({{0, 1000 * most * mib}}), max_window);
	// Two extents in one window count once; one across a boundary twice.
	EXPECT_EQ(torrent::auto_window({{0, most * mib - 20}, {most * mib - 10, 10}}), mib);
	EXPECT_EQ(torrent::auto_window({{0, (most - 1) * mib}, {most * mib - 10, 20}}), 2 * mib);
	// One 4 KiB block in every other MiB: 0.2 % of the bytes used, but as
	// many windows touched as a full image twice its size.
	std::vector<torrent::Extent> scattered;
	for (std::int64_t k = 0; k <= most; ++k) scattered.push_back({2 * k * mib, 4096});
	EXPECT_EQ(torrent::auto_window(scattered), 4 * mib);
	// The window make_chunks uses when none is given.
	auto const layout = torrent::make_chunks(
		[](std::int64_t, std::int64_t length, char* out) -> Status {
			std::fill_n(out, length, 'e');
			return Ok{};
		},
		{{3 * mib + 5, 2 * mib}}, torrent::ChunkOptions{});
	ASSERT_TRUE(layout) << layout.error();
	EXPECT_EQ(layout->window, mib);
	EXPECT_EQ(layout->chunks.size(), 3u);
}

TEST(ChunkLayout, TheDescriptionSurvivesBencoding)
{
	Layout const layout = two_chunks();
	ASSERT_TRUE(validate(layout));
	std::string bytes;
	lt::bencode(std::back_inserter(bytes), layout_entry(layout));
	lt::error_code ec;
	lt::bdecode_node const node = lt::bdecode(bytes, ec);
	ASSERT_FALSE(ec);
	lt::file_storage const files = two_chunk_files();
	auto const parsed = parse_layout(node, files);
	ASSERT_TRUE(parsed) << parsed.error();
	ASSERT_EQ(parsed->chunks.size(), 2u);
	EXPECT_EQ(parsed->chunks[0].extents, layout.chunks[0].extents);
	EXPECT_EQ(parsed->chunks[1].disk_offset, 5 * window);
	EXPECT_EQ(parsed->chunks[0].stored_length, 300);
	EXPECT_EQ(parsed->disk_end(), 6 * window);
}

TEST(ChunkLayout, ACompanionNamesItsTorrentAndNothingElseStandsForIt)
{
	lt::file_storage const files = two_chunk_files();
	auto const parse = [&](lt::entry const& e) {
		std::string bytes;
		lt::bencode(std::back_inserter(bytes), e);
		lt::error_code ec;
		lt::bdecode_node const node = lt::bdecode(bytes, ec);
		EXPECT_FALSE(ec);
		return parse_layout(node, files);
	};
	Layout layout = two_chunks();
	EXPECT_FALSE(parse(layout_entry(layout))->companion_of) << "made by ezioctl create --chunked";
	layout.companion_of = lt::sha1_hash("t's info-hash, 20 b.");
	auto const companion = parse(layout_entry(layout));
	ASSERT_TRUE(companion) << companion.error();
	EXPECT_EQ(companion->companion_of, layout.companion_of);

	for (lt::entry const bad : {lt::entry("19 bytes, not 20 ."), lt::entry(std::int64_t(7)), lt::entry(lt::entry::list_t)}) {
		lt::entry e = layout_entry(layout);
		e[companion_key] = bad;
		auto const refused = parse(e);
		ASSERT_FALSE(refused);
		EXPECT_NE(refused.error().find("is not an info-hash"), std::string::npos) << refused.error();
	}
}

TEST(ChunkLayout, HostileDescriptionsAreRefused)
{
	std::vector<std::pair<std::string, std::function<void(Layout&)>>> const cases{
		{"extent leaves the window", [](Layout& l) { l.chunks[1].extents[0].length = 11; }},
		{"extents overlap", [](Layout& l) { l.chunks[0].extents[1].offset = 4000; }},
		{"lengths do not add up", [](Layout& l) { l.chunks[0].raw_length += 1; }},
		{"stored with another length", [](Layout& l) { l.chunks[1].stored_length = 9; }},
		{"window unaligned", [](Layout& l) { l.chunks[1].disk_offset += 512; }},
		{"windows out of order", [](Layout& l) { std::swap(l.chunks[0], l.chunks[1]); }},
		{"window not a power of two", [](Layout& l) { l.window = 3 << 19; }},
		{"stored larger than the window", [](Layout& l) { l.chunks[0].stored_length = window + 1; }},
		{"an empty extent", [](Layout& l) { l.chunks[0].extents[0].length = 0; }},
		{"no extents", [](Layout& l) { l.chunks[1].extents.clear(); }},
		{"a window beyond any disk", [](Layout& l) { l.chunks[1].disk_offset = INT64_MAX / window * window; }},
		{"unknown level", [](Layout& l) { l.zstd_level = 99; }},
	};
	for (auto const& [what, edit] : cases) {
		Layout layout = two_chunks();
		edit(layout);
		EXPECT_FALSE(validate(layout)) << what;
	}
}

TEST(ChunkCodec, RoundTripAndRefusals)
{
	std::string text;
	while (text.size() < 100000) text += "a line of a log file, repeated. ";
	Bytes stored;
	ASSERT_EQ(encode(text, 3, stored), Codec::zstd);
	ASSERT_LT(stored.size(), text.size() / 4);
	Chunk c{0, {{0, std::int64_t(text.size())}}, std::int64_t(text.size()), std::int64_t(stored.size()), Codec::zstd,
		sha256(text)};
	std::vector<char> raw(text.size());
	ASSERT_TRUE(decode(c, stored, raw));
	EXPECT_EQ(std::string(raw.data(), raw.size()), text);
	// Made again with the same parameters: the same bytes.
	Bytes again;
	ASSERT_TRUE(encode_as(c, 3, text, again));
	EXPECT_EQ(again, stored);
	// ... and with others: refused.
	EXPECT_FALSE(encode_as(c, 19, text, again));

	// Random bytes do not shrink: stored as they are.
	std::string random(5000, '\0');
	std::mt19937 rng(1);
	for (char& ch : random) ch = char(rng());
	EXPECT_EQ(encode(random, 3, stored), Codec::stored);
	EXPECT_EQ(std::string(stored.data(), stored.size()), random);

	// A frame of another length, a broken frame, another SHA-256.
	Chunk longer = c;
	longer.raw_length += 1;
	std::vector<char> big(text.size() + 1);
	std::vector<char> const good(stored.begin(), stored.end());
	encode(text, 3, stored);
	EXPECT_FALSE(decode(longer, stored, big));
	std::vector<char> broken = good;
	broken[broken.size() / 2] ^= 0x55;
	EXPECT_FALSE(decode(c, broken, raw));
	Chunk other = c;
	other.sha256[0] ^= 1;
	EXPECT_FALSE(decode(other, good, raw));
}

TEST(ChunkLayout, RunsJoinExtentsThatTouchAndCountTheirBytes)
{
	Chunk const c{8 * window, {{0, 100}, {100, 50}, {4096, 10}, {window - 1, 1}}, 161, 161, Codec::stored, {}};
	std::vector<std::array<std::int64_t, 3>> runs;
	EXPECT_TRUE(for_each_run(c, [&](ExtentRun const& r) {
		runs.push_back({r.disk_offset, r.length, r.position});
		return true;
	}));
	std::vector<std::array<std::int64_t, 3>> const want{
		{8 * window, 150, 0}, {8 * window + 4096, 10, 150}, {9 * window - 1, 1, 160}};
	EXPECT_EQ(runs, want);
	int calls = 0;
	EXPECT_FALSE(for_each_run(c, [&](ExtentRun const&) { return ++calls < 2; }));
	EXPECT_EQ(calls, 2);  // stopped where told
}

TEST(ChunkCodec, APieceHashCoversThePadAsZeros)
{
	std::string const stored = "stored bytes";
	std::string padded = stored;
	padded.resize(40000, '\0');  // more than one 16 KiB round of zeros
	lt::hasher h(padded.data(), int(padded.size()));
	EXPECT_EQ(piece_hash(stored, 40000), h.final());
	EXPECT_EQ(piece_hash(stored, std::int64_t(stored.size())), lt::hasher(stored.data(), int(stored.size())).final());
}

TEST(ChunkMaker, TheStoreGetsEveryChunkAsItIsInTheTorrent)
{
	// Three windows: text (compresses), random bytes (stored) and a gap.
	test::ScratchDir dir;
	std::string const image = dir.file("image");
	std::string data(std::size_t(4 * window), 'a');
	for (std::size_t i = 0; i < data.size(); ++i) data[i] = char('a' + i % 7);
	std::mt19937 random(7);
	for (std::size_t i = std::size_t(window); i < std::size_t(2 * window); ++i) data[i] = char(random());
	std::ofstream(image, std::ios::binary).write(data.data(), std::streamsize(data.size()));
	std::vector<torrent::Extent> const extents{{100, window}, {3 * window, 5000}};

	std::mutex mutex;
	std::map<std::int64_t, std::string> stored;  // by window offset
	torrent::ChunkOptions options;
	options.window = window;
	options.threads = 2;
	options.store = [&](Chunk const& c, std::span<char const> bytes) -> Status {
		std::lock_guard lock(mutex);
		EXPECT_TRUE(stored.emplace(c.disk_offset, std::string(bytes.data(), bytes.size())).second);
		return Ok{};
	};
	auto const layout = torrent::make_chunks(image, extents, options);
	ASSERT_TRUE(layout) << layout.error();
	ASSERT_EQ(stored.size(), layout->chunks.size());
	for (std::size_t k = 0; k < layout->chunks.size(); ++k) {
		Chunk const& c = layout->chunks[k];
		std::string const& bytes = stored.at(c.disk_offset);
		EXPECT_EQ(std::int64_t(bytes.size()), c.stored_length);
		bool const last = k + 1 == layout->chunks.size();
		EXPECT_EQ(piece_hash(bytes, last ? c.stored_length : window), layout->piece_hashes[k]) << "chunk " << k;
	}
	EXPECT_EQ(torrent::chunk_file_name(layout->chunks[1]), "0000000000100000");

	// Written as files, they read back the same; a failing store stops it.
	std::string const store = dir.file("store");
	std::filesystem::create_directory(store);
	for (Chunk const& c : layout->chunks)
		ASSERT_TRUE(torrent::store_chunk(store, c, stored.at(c.disk_offset)));
	std::ifstream in(store + "/" + torrent::chunk_file_name(layout->chunks[0]), std::ios::binary);
	EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), stored.at(0));
	options.store = [](Chunk const&, std::span<char const>) -> Status { return Error{"disk full", Errc::io}; };
	auto const failed = torrent::make_chunks(image, extents, options);
	ASSERT_FALSE(failed);
	EXPECT_EQ(failed.error(), "disk full");
	EXPECT_FALSE(torrent::store_chunk(dir.file("missing"), layout->chunks[0], stored.at(0)));
}

// A large chunk list (550,000 chunks, 4.4 M bencode tokens) looked like no
// chunk list at all: torrent_info::info() decodes the info dictionary again
// with libtorrent's default limit of 2 M tokens, and the torrent was then
// refused with the Clonezilla layout's pad-file message. read_layout
// decodes with the limits the torrent was loaded with.
TEST(ChunkLayout, ABigInfoDictionaryIsStillReadAsChunked)
{
	test::ScratchDir dir;
	std::string const image = dir.file("image");
	std::ofstream(image, std::ios::binary) << std::string(std::size_t(2 * window), 'a');
	torrent::ChunkOptions options;
	options.window = window;
	auto const layout = torrent::make_chunks(image, {{0, 2 * window}}, options);
	ASSERT_TRUE(layout) << layout.error();
	auto const bytes = torrent::build_chunked_torrent({"sda1", {}, "test"}, *layout);
	ASSERT_TRUE(bytes) << bytes.error();

	lt::entry root = lt::bdecode(*bytes);
	lt::entry::list_type& filler = root["info"]["zz filler"].list();
	filler.resize(2'500'000, lt::entry(std::int64_t(1)));  // as many tokens as a big chunk list
	std::string big;
	lt::bencode(std::back_inserter(big), root);
	auto const ti = torrent::load_torrent(big);
	ASSERT_TRUE(ti) << ti.error();
	auto const read = read_layout(**ti);
	ASSERT_TRUE(read) << read.error();
	ASSERT_TRUE(read->has_value()) << "a chunked torrent read as the Clonezilla layout";
	EXPECT_EQ((*read)->chunks.size(), layout->chunks.size());
}

}  // namespace
}  // namespace ezio::chunk
