#include "torrent/torrent_builder.hpp"

#include <iterator>

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>

#include "common/hex.hpp"
#include "common/subprocess.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::torrent {
namespace {

std::vector<lt::sha1_hash> fake_hashes(int n)
{
	std::vector<lt::sha1_hash> h;
	for (int i = 0; i < n; ++i) {
		lt::sha1_hash x;
		x[0] = char(i + 1);
		h.push_back(x);
	}
	return h;
}

TorrentSpec sample_spec()
{
	TorrentSpec spec;
	spec.name = "sda1";
	spec.piece_length = 16 << 20;
	spec.extents = {{0, 0x1000000}, {0x1000000, 0x64ac00}, {0x1800400, 0x40800}};
	spec.piece_hashes = fake_hashes(2);
	return spec;
}

TEST(BuildTorrent, NamesExtentsByTheir32DigitOffset)
{
	auto const bytes = build_torrent(sample_spec());
	ASSERT_TRUE(bytes) << bytes.error();
	auto const ti = load_torrent(*bytes);
	ASSERT_TRUE(ti) << ti.error();
	lt::file_storage const& fs = (*ti)->files();
	ASSERT_EQ(fs.num_files(), 3);
	EXPECT_EQ(fs.file_path(lt::file_index_t{2}), "sda1/00000000000000000000000001800400");
	EXPECT_EQ(fs.file_size(lt::file_index_t{2}), 0x40800);
	for (auto const f : fs.file_range()) EXPECT_FALSE(fs.pad_file_at(f));
	EXPECT_FALSE((*ti)->priv());
	EXPECT_EQ((*ti)->hash_for_piece(lt::piece_index_t{1}), fake_hashes(2)[1]);
}

// The same inputs through libtorrent directly, the way the original
// generator does it, give the same info-hash.
TEST(BuildTorrent, InfoHashMatchesAPlainLibtorrentTorrentOfTheSameFiles)
{
	TorrentSpec spec = sample_spec();
	spec.trackers = {"http://10.0.0.1:6969/announce"};
	spec.creator = "somebody";
	auto const ours = build_torrent(spec);
	ASSERT_TRUE(ours);

	lt::file_storage fs;
	fs.add_file("sda1/00000000000000000000000000000000", 0x1000000);
	fs.add_file("sda1/00000000000000000000000001000000", 0x64ac00);
	fs.add_file("sda1/00000000000000000000000001800400", 0x40800);
	lt::create_torrent ct(fs, 16 << 20, lt::create_torrent::v1_only);
	for (int i = 0; i < 2; ++i) ct.set_hash(lt::piece_index_t{i}, fake_hashes(2)[std::size_t(i)]);
	std::string reference;
	lt::bencode(std::back_inserter(reference), ct.generate());

	auto const a = load_torrent(*ours);
	auto const b = load_torrent(reference);
	ASSERT_TRUE(a && b);
	EXPECT_EQ(to_hex((*a)->info_hashes().v1), to_hex((*b)->info_hashes().v1));
}

// The reference is what the original generator does: python3-libtorrent
// with files "<name>/<32 hex digits>", v1 only. Same inputs, same info-hash.
TEST(BuildTorrent, InfoHashMatchesPython3LibtorrentReference)
{
	TorrentSpec spec = sample_spec();
	spec.creator = "EZIO";
	spec.trackers = {"http://10.0.0.1:6969/announce"};
	auto const ours = build_torrent(spec);
	ASSERT_TRUE(ours);
	auto const ti = load_torrent(*ours);
	ASSERT_TRUE(ti);

	std::string script = R"(
import libtorrent as lt
fs = lt.file_storage()
for offset, length in [(0, 0x1000000), (0x1000000, 0x64ac00), (0x1800400, 0x40800)]:
    fs.add_file('sda1/%032x' % offset, length)
ct = lt.create_torrent(fs, 16 * 1024 * 1024, flags=lt.create_torrent.v1_only)
for i in range(ct.num_pieces()):
    ct.set_hash(i, bytes([i + 1]) + bytes(19))
ct.add_tracker('http://10.0.0.1:6969/announce')
ct.set_creator('python reference')
print(lt.torrent_info(ct.generate()).info_hashes().v1)
)";
	CommandResult const r = run_command({"/usr/bin/python3", "-c", script});
	ASSERT_EQ(r.status, 0) << r.output;
	EXPECT_EQ(r.output.substr(0, 40), to_hex((*ti)->info_hashes().v1)) << r.output;
}

TEST(BuildTorrent, SingleFileWholeImage)
{
	TorrentSpec spec;
	spec.name = "image";
	spec.piece_length = 1 << 20;
	spec.extents = {{0, (3 << 20) + 5}};
	spec.piece_hashes = fake_hashes(4);
	spec.single_file = true;
	auto const bytes = build_torrent(spec);
	ASSERT_TRUE(bytes) << bytes.error();
	auto const ti = load_torrent(*bytes);
	ASSERT_TRUE(ti);
	EXPECT_EQ((*ti)->name(), "0000000000000000");
	EXPECT_EQ((*ti)->num_files(), 1);
}

TEST(BuildTorrent, RefusesMismatchedHashCounts)
{
	TorrentSpec spec = sample_spec();
	spec.piece_hashes = fake_hashes(3);
	auto const bytes = build_torrent(spec);
	ASSERT_FALSE(bytes);
	EXPECT_NE(bytes.error().find("3 piece hashes"), std::string::npos) << bytes.error();
}

TEST(BuildTorrent, RefusesBadLayouts)
{
	TorrentSpec spec = sample_spec();
	spec.extents = {{0x1000, 10}, {0x800, 10}};
	EXPECT_FALSE(build_torrent(spec));
	spec = sample_spec();
	spec.piece_length = 3000;
	EXPECT_FALSE(build_torrent(spec));
	spec = sample_spec();
	spec.name = "a/b";
	EXPECT_FALSE(build_torrent(spec));
}

}  // namespace
}  // namespace ezio::torrent
