#include "torrent/companion.hpp"

#include <sys/stat.h>

#include <random>

#include <gtest/gtest.h>

#include "common/env.hpp"
#include "support/scratch_dir.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_builder.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::torrent {
namespace {

// An image in memory: compressible text in some extents, random bytes in
// others, gaps of 0xee that no extent covers.
struct Image {
	std::string bytes;
	std::vector<Extent> extents;

	ReadAt reader() const
	{
		return [this](std::int64_t offset, std::int64_t length, char* out) -> Status {
			if (offset < 0 || offset + length > std::int64_t(bytes.size())) return Error{"beyond the image", Errc::io};
			std::copy_n(bytes.data() + offset, length, out);
			return Ok{};
		};
	}
};

Image make_image()
{
	Image image;
	image.bytes.assign(12 << 20, char(0xee));
	// Touching extents (one run on disk), one across a window boundary, and
	// one alone near the end.
	image.extents = {{4096, 100'000}, {104'096, 60'000}, {(4 << 20) - 50'000, 300'000}, {(11 << 20) + 7, 9'000}};
	std::mt19937 rng(7);
	for (std::size_t i = 0; i < image.extents.size(); ++i) {
		Extent const& e = image.extents[i];
		for (std::int64_t at = 0; at < e.length; ++at)
			image.bytes[std::size_t(e.offset + at)] = i % 2 == 0 ? char("ezio companion "[at % 15]) : char(rng());
	}
	return image;
}

// T: the image's Clonezilla-layout torrent (32-hex-digit extent files).
std::shared_ptr<lt::torrent_info> clonezilla_torrent(Image const& image, int piece_length = 64 << 10)
{
	auto hashes = hash_extents(image.reader(), image.extents, piece_length);
	EXPECT_TRUE(hashes) << hashes.error();
	TorrentSpec spec;
	spec.name = "sda1";
	spec.piece_length = piece_length;
	spec.extents = image.extents;
	spec.piece_hashes = *hashes;
	auto data = build_torrent(spec);
	EXPECT_TRUE(data) << data.error();
	auto t = load_torrent(*data);
	EXPECT_TRUE(t) << t.error();
	return *t;
}

TEST(Companion, TheSameBytesMakeTheSameCompanionThatNamesItsTorrent)
{
	Image const image = make_image();
	auto const t = clonezilla_torrent(image);
	ChunkOptions one_thread;
	one_thread.threads = 1;
	ChunkOptions four_threads;
	four_threads.threads = 4;
	four_threads.window = 64 << 10;  // ignored: a companion's window is pinned
	auto const a = make_companion(*t, image.reader(), one_thread);
	auto const b = make_companion(*t, image.reader(), four_threads);
	ASSERT_TRUE(a) << a.error();
	ASSERT_TRUE(b) << b.error();
	EXPECT_EQ(a->info_hash, b->info_hash);
	EXPECT_EQ(a->torrent, b->torrent);
	EXPECT_EQ(a->layout.window, 1 << 20);
	EXPECT_EQ(a->layout.companion_of, t->info_hashes().v1);
	// Its 1 MiB windows: [0, 1) holds the first two extents, [3, 4) and
	// [4, 5) the third, [11, 12) the last.
	ASSERT_EQ(a->layout.chunks.size(), 4u);
	EXPECT_EQ(a->layout.chunks[1].disk_offset, 3 << 20);
	EXPECT_EQ(a->layout.chunks[3].disk_offset, 11 << 20);
	EXPECT_EQ(a->layout.raw_bytes(), 100'000 + 60'000 + 300'000 + 9'000);
	EXPECT_TRUE(check_companion(a->layout, *t));

	// What a client reads from the companion's metadata is the same layout.
	auto const loaded = load_torrent(a->torrent);
	ASSERT_TRUE(loaded) << loaded.error();
	EXPECT_EQ((*loaded)->info_hashes().v1, a->info_hash);
	auto const read = chunk::read_layout(**loaded);
	ASSERT_TRUE(read && read->has_value());
	EXPECT_EQ((*read)->companion_of, t->info_hashes().v1);
	EXPECT_TRUE(check_companion(**read, *t));
}

TEST(Companion, BytesThatDoNotMatchTheTorrentMakeNone)
{
	Image image = make_image();
	auto const t = clonezilla_torrent(image);
	image.bytes[std::size_t(image.extents[2].offset + 5)] ^= 1;
	auto const c = make_companion(*t, image.reader(), {});
	ASSERT_FALSE(c);
	EXPECT_NE(c.error().find("does not match the torrent's hash"), std::string::npos) << c.error();
}

TEST(Companion, ACompanionThatDoesNotFitItsTorrentIsRefusedWithTheReason)
{
	Image const image = make_image();
	auto const t = clonezilla_torrent(image);
	auto const made = make_companion(*t, image.reader(), {});
	ASSERT_TRUE(made) << made.error();
	auto const refused = [&](chunk::Layout const& c, std::string const& why) {
		Status const s = check_companion(c, *t);
		ASSERT_FALSE(s) << why;
		EXPECT_NE(s.error().find(why), std::string::npos) << s.error();
	};

	chunk::Layout c = made->layout;
	c.companion_of.reset();  // an ordinary chunked torrent
	refused(c, "does not name");
	c = made->layout;
	c.companion_of = lt::sha1_hash("01234567890123456789");
	refused(c, "does not name");
	c = made->layout;
	c.zstd_level = 19;
	refused(c, "is not a companion's");
	c = made->layout;
	c.window = 4 << 20;  // an older EZIO's window
	refused(c, "window (4194304 bytes) or zstd level (3) is not a companion's (1048576 bytes");
	c = made->layout;
	c.chunks.pop_back();
	refused(c, "has 3 chunks where the torrent's extents fill 4 windows");
	c = made->layout;
	c.chunks[1].extents[0].length -= 1;  // one byte of T's that it would never write
	refused(c, "chunk 1 (window at 0x300000) does not cover");
	c = made->layout;
	c.chunks[2].extents[0].offset += 4096;  // writing where T has no extent
	refused(c, "chunk 2");

	// A companion of another torrent of the same extents.
	auto const other = clonezilla_torrent(image, 128 << 10);
	ASSERT_NE(other->info_hashes().v1, t->info_hashes().v1);
	EXPECT_FALSE(check_companion(made->layout, *other));
}

TEST(Companion, AChunkedTorrentHasNoCompanion)
{
	Image const image = make_image();
	auto const t = clonezilla_torrent(image);
	auto const made = make_companion(*t, image.reader(), {});
	ASSERT_TRUE(made) << made.error();
	auto const chunked = load_torrent(made->torrent);
	ASSERT_TRUE(chunked);
	auto const extents = extents_of(**chunked);
	ASSERT_FALSE(extents);
	EXPECT_NE(extents.error().find("chunked"), std::string::npos) << extents.error();
}

// A btzone directory, as `partclone -T` writes it: <dir>/sda1/<32 hex>.
void write_btzone(Image const& image, lt::torrent_info const& t, std::string const& dir)
{
	ASSERT_EQ(::mkdir((dir + "/sda1").c_str(), 0755), 0);
	for (lt::file_index_t const f : t.files().file_range()) {
		Extent const& e = image.extents[std::size_t(static_cast<int>(f))];
		ASSERT_TRUE(Env::system().write_file(dir + "/" + t.files().file_path(f),
			std::string_view(image.bytes.data() + e.offset, std::size_t(e.length)), false));
	}
}

TEST(Btzone, AReadSpansExtentFilesAndMakesTheSameCompanionAsTheImage)
{
	Image const image = make_image();
	auto const t = clonezilla_torrent(image);
	test::ScratchDir dir;
	write_btzone(image, *t, dir.path());
	auto const read = btzone_reader(*t, dir.path());
	ASSERT_TRUE(read) << read.error();

	// Across the two touching extents, in one read.
	std::string got(100'000, '\0');
	ASSERT_TRUE((*read)(50'000, std::int64_t(got.size()), got.data()));
	EXPECT_EQ(got, image.bytes.substr(50'000, got.size()));
	// Into a gap: refused, not zeros.
	EXPECT_FALSE((*read)(164'000, 200, got.data()));
	EXPECT_FALSE((*read)(std::int64_t(image.bytes.size()), 1, got.data()));

	auto const from_files = make_companion(*t, *read, {});
	auto const from_image = make_companion(*t, image.reader(), {});
	ASSERT_TRUE(from_files) << from_files.error();
	ASSERT_TRUE(from_image) << from_image.error();
	EXPECT_EQ(from_files->info_hash, from_image->info_hash);
}

TEST(Btzone, AMissingOrWrongSizedExtentFileIsRefused)
{
	Image const image = make_image();
	auto const t = clonezilla_torrent(image);
	test::ScratchDir dir;
	write_btzone(image, *t, dir.path());
	std::string const second = dir.path() + "/" + t->files().file_path(lt::file_index_t{1});

	ASSERT_EQ(::truncate(second.c_str(), 59'999), 0);
	auto short_file = btzone_reader(*t, dir.path());
	ASSERT_FALSE(short_file);
	EXPECT_NE(short_file.error().find("is not a file of 60000 bytes"), std::string::npos) << short_file.error();

	ASSERT_EQ(::unlink(second.c_str()), 0);
	auto missing = btzone_reader(*t, dir.path());
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error_value().code, Errc::not_found);
}

}  // namespace
}  // namespace ezio::torrent
