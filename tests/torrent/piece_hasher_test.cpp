#include "torrent/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include <gtest/gtest.h>
#include <libtorrent/hasher.hpp>

#include "support/scratch_dir.hpp"
#include "torrent/image_layout.hpp"

namespace ezio::torrent {
namespace {

class TempFile {
public:
	TempFile() : m_path(m_dir.empty_file("image")) {}
	std::string const& path() const { return m_path; }

	void write_at(std::int64_t offset, std::string const& data) const
	{
		int const fd = ::open(m_path.c_str(), O_WRONLY);
		ASSERT_EQ(::pwrite(fd, data.data(), data.size(), offset), ssize_t(data.size()));
		::close(fd);
	}
	void truncate(std::int64_t size) const { ASSERT_EQ(::truncate(m_path.c_str(), size), 0); }

private:
	test::ScratchDir m_dir;
	std::string m_path;
};

std::string random_bytes(std::size_t n, unsigned seed)
{
	std::mt19937 rng(seed);
	std::string s(n, '\0');
	for (char& c : s) c = char(rng());
	return s;
}

TEST(HashExtents, PiecesSpanExtentsAndThreadsAgree)
{
	TempFile file;
	std::string const a = random_bytes(300'000, 1), b = random_bytes(500'000, 2), c = random_bytes(70'001, 3);
	file.write_at(4096, a);
	file.write_at(1 << 20, b);
	file.write_at(3 << 20, c);
	std::vector<Extent> const extents{{4096, 300'000}, {1 << 20, 500'000}, {3 << 20, 70'001}};
	int const piece = 256 << 10;

	std::string const all = a + b + c;
	std::vector<lt::sha1_hash> expected;
	for (std::size_t at = 0; at < all.size(); at += piece)
		expected.push_back(lt::hasher(all.data() + at, int(std::min<std::size_t>(piece, all.size() - at))).final());

	for (int threads : {1, 2, 5}) {
		HashOptions options;
		options.threads = threads;
		int last_done = -1, calls = 0;
		options.progress = [&](int done, int total) {
			EXPECT_EQ(total, int(expected.size()));
			EXPECT_GE(done, last_done);
			last_done = done;
			++calls;
		};
		auto const hashes = hash_extents(file.path(), extents, piece, options);
		ASSERT_TRUE(hashes) << hashes.error();
		EXPECT_EQ(*hashes, expected) << threads << " threads";
		EXPECT_EQ(last_done, int(expected.size()));
		EXPECT_GE(calls, 1);
	}
}

TEST(HashExtents, AShortFileIsAnError)
{
	TempFile file;
	file.write_at(0, random_bytes(1000, 4));
	auto const hashes = hash_extents(file.path(), {{0, 5000}}, 16384);
	ASSERT_FALSE(hashes);
	EXPECT_NE(hashes.error().find("holds 1000 bytes, but the extents end at 5000"), std::string::npos)
		<< hashes.error();
	EXPECT_FALSE(hash_extents("/no/such/file", {{0, 10}}, 16384));
}

TEST(DataExtents, FindsTheAllocatedRangesOfASparseFile)
{
	TempFile file;
	file.truncate(64 << 20);
	file.write_at(1 << 20, random_bytes(8192, 5));
	file.write_at(40 << 20, random_bytes(100, 6));
	auto const extents = data_extents(file.path());
	ASSERT_TRUE(extents) << extents.error();
	ASSERT_EQ(extents->size(), 2u);
	EXPECT_EQ((*extents)[0], (Extent{1 << 20, 8192}));
	EXPECT_EQ((*extents)[1].offset, 40 << 20);
	EXPECT_GE((*extents)[1].length, 100);  // rounded to the filesystem's block
	EXPECT_LE((*extents)[1].offset + (*extents)[1].length, 64 << 20);
}

TEST(DataExtents, AnEmptySparseFileHasNothingToDeploy)
{
	TempFile file;
	file.truncate(1 << 20);
	EXPECT_FALSE(data_extents(file.path()));
}

}  // namespace
}  // namespace ezio::torrent
