// The engine's rules for chunked torrents, through a fake disk: a chunk is
// written whole, decoded, to its extents only, and only when its piece
// matches; a part of one is never written; it is served by making it again
// from the target, and only if that matches its piece; a target that holds
// its data verifies without a download.
#include <cstring>
#include <random>

#include <gtest/gtest.h>
#include <libtorrent/hasher.hpp>

#include "chunk/codec.hpp"
#include "storage/cache_calls.hpp"
#include "storage/chunk_storage.hpp"
#include "storage/fake_io.hpp"
#include "storage/piece_cache.hpp"
#include "support/scratch_dir.hpp"

namespace ezio::storage {
namespace {

constexpr int block = BlockPool::block_size;
constexpr std::int64_t window = 64 << 10;

class ChunkCacheTest : public ::testing::Test, public lt::buffer_allocator_interface {
protected:
	void SetUp() override
	{
		auto target = Target::open(m_dir.empty_file("target"), Target::Access::read_write);
		ASSERT_TRUE(target) << target.error();

		// Chunk 0: two extents of text (compresses); chunk 1: random bytes
		// (stored as they are), the last piece.
		auto layout = std::make_shared<chunk::Layout>();
		layout->window = window;
		layout->codec_version = chunk::codec_version();
		std::string text;
		while (text.size() < 24096) text += "the quick brown fox jumps over the lazy dog; ";
		std::string random(40000, '\0');
		std::mt19937 rng(5);
		for (char& c : random) c = char(rng());
		add_chunk(*layout, 0, {{0, 4096}, {8192, 20000}}, text.substr(0, 24096));
		add_chunk(*layout, 2 * window, {{100, 40000}}, random);
		ASSERT_EQ(layout->chunks[0].codec, chunk::Codec::zstd);
		ASSERT_EQ(layout->chunks[1].codec, chunk::Codec::stored);
		ASSERT_TRUE(chunk::validate(*layout));
		chunks = layout;
		storage = std::make_shared<ChunkStorage>(1, lt::sha1_hash(), layout, std::move(target.value()), io);
	}

	void add_chunk(chunk::Layout& layout, std::int64_t disk, std::vector<chunk::Extent> extents, std::string raw)
	{
		chunk::Chunk c;
		c.disk_offset = disk;
		c.extents = std::move(extents);
		c.raw_length = std::int64_t(raw.size());
		c.sha256 = chunk::sha256(raw);
		Bytes bytes;
		c.codec = chunk::encode(raw, layout.zstd_level, bytes);
		c.stored_length = std::int64_t(bytes.size());
		// A piece so far: every piece but the last is padded to the window.
		if (!layout.chunks.empty()) {
			std::vector<char> padded = stored.back();
			padded.resize(std::size_t(window));
			layout.piece_hashes.back() = lt::hasher(padded.data(), int(padded.size())).final();
		}
		layout.chunks.push_back(c);
		layout.piece_hashes.push_back(lt::hasher(bytes.data(), int(bytes.size())).final());
		raws.push_back(std::move(raw));
		stored.emplace_back(bytes.begin(), bytes.end());
	}

	void TearDown() override
	{
		cache.flush_all(out);
		run_completions();
		EXPECT_EQ(pool.bytes_in_use(), 0) << "blocks leaked, or a charge not refunded";
	}

	void free_disk_buffer(char* b) override { pool.release(b); }

	// Block `b` of piece `piece` as a peer sends it: stored bytes, then zeros.
	void write(int piece, int b, char flip = 0)
	{
		auto const& bytes = stored[std::size_t(piece)];
		char* buf = pool.allocate();
		std::memset(buf, 0, block);
		std::size_t const from = std::size_t(b) * block;
		std::memcpy(buf, bytes.data() + from, std::min<std::size_t>(block, bytes.size() - from));
		buf[0] ^= flip;
		int const length = storage->block_length(lt::piece_index_t{piece}, b);
		cache.write(storage, lt::peer_request{lt::piece_index_t{piece}, b * block, length}, buf,
			[this](lt::storage_error const& e) {
				++write_handlers;
				if (e) ++write_errors;
			},
			out);
		run_completions();
	}

	void write_piece(int piece, char flip = 0)
	{
		for (int b = 0; b < storage->blocks_in_piece(lt::piece_index_t{piece}); ++b) write(piece, b, flip);
	}

	lt::sha1_hash hash(int piece) { return testing::hash_piece(cache, storage, out, piece); }

	std::string read(int piece, int start, int length, lt::storage_error* error = nullptr)
	{
		return testing::read_range(cache, storage, out, piece, start, length, error);
	}

	// The chunk's raw bytes, where its extents say.
	void put_on_disk(int piece)
	{
		auto const& c = chunks->chunks[std::size_t(piece)];
		std::size_t at = 0;
		for (auto const& x : c.extents) {
			std::memcpy(io.disk() + c.disk_offset + x.offset, raws[std::size_t(piece)].data() + at, std::size_t(x.length));
			at += std::size_t(x.length);
		}
	}

	bool disk_is_zero(std::int64_t from, std::int64_t to) const
	{
		for (std::int64_t i = from; i < to; ++i)
			if (io.disk()[i] != 0) return false;
		return true;
	}

	void run_completions()
	{
		for (auto& c : out) c();
		out.clear();
	}

	test::ScratchDir m_dir;
	testing::FakeIo io{1 << 20};
	BlockPool pool{1 << 20, {}};
	EngineStats stats;
	CacheLedger ledger;
	PieceCache cache{pool, *this, stats, ledger};
	std::shared_ptr<chunk::Layout const> chunks;
	std::shared_ptr<ChunkStorage> storage;
	std::vector<std::string> raws;
	std::vector<std::vector<char>> stored;
	Completions out;
	int write_handlers = 0;
	int write_errors = 0;
};

TEST_F(ChunkCacheTest, AChunkIsWrittenDecodedToItsExtentsOnly)
{
	write_piece(0);
	EXPECT_EQ(write_handlers, storage->blocks_in_piece(lt::piece_index_t{0}));
	EXPECT_EQ(write_errors, 0);
	ASSERT_EQ(io.writes.size(), 2u);  // one per run of touching extents
	EXPECT_EQ(std::string(io.disk(), 4096), raws[0].substr(0, 4096));
	EXPECT_EQ(std::string(io.disk() + 8192, 20000), raws[0].substr(4096));
	EXPECT_TRUE(disk_is_zero(4096, 8192)) << "the gap between the extents was written";
	EXPECT_TRUE(disk_is_zero(8192 + 20000, 3 * window)) << "bytes after the extents were written";
	// Its hash counts the pad as zeros.
	EXPECT_EQ(hash(0), chunks->piece_hashes[0]);
	EXPECT_EQ(stats.chunks_decoded.load(), 1);
}

TEST_F(ChunkCacheTest, APartOfAChunkIsNeverWrittenAndWaitsForTheRest)
{
	ASSERT_EQ(storage->blocks_in_piece(lt::piece_index_t{1}), 3);
	write(1, 0);
	write(1, 1);
	// The time limit for blocks in memory passes: their handlers complete,
	// nothing goes to the disk, and the blocks stay.
	cache.flush_partial(PieceCache::Clock::now(), out);
	run_completions();
	EXPECT_EQ(write_handlers, 2);
	EXPECT_TRUE(io.writes.empty());
	write(1, 2);
	EXPECT_EQ(io.writes.size(), 1u);
	EXPECT_EQ(std::string(io.disk() + 2 * window + 100, 40000), raws[1]);
	EXPECT_EQ(hash(1), chunks->piece_hashes[1]);
}

TEST_F(ChunkCacheTest, AFlushKeepsAPartOfAChunkUntilTheTorrentIsGone)
{
	// A sync before a resume record flushes the torrent mid-download.
	// libtorrent counts the blocks as written once their handlers complete:
	// dropping them failed the piece when it was whole, and banned the
	// honest peer that sent it.
	write(1, 0);
	write(1, 1);
	cache.write_storage(*storage, out);
	run_completions();
	EXPECT_EQ(write_handlers, 2);
	EXPECT_TRUE(io.writes.empty());
	write(1, 2);
	EXPECT_EQ(io.writes.size(), 1u);
	EXPECT_EQ(hash(1), chunks->piece_hashes[1]);

	// The next sync keeps the whole chunk's stored bytes: peers are served
	// without making it again.
	cache.write_storage(*storage, out);
	run_completions();
	EXPECT_EQ(read(1, 0, block), std::string(stored[1].data(), block));
	EXPECT_EQ(stats.chunks_remade.load(), 0);

	// Removing the torrent forgets a part.
	write(0, 0);
	cache.flush_storage(*storage, out, PieceCache::Held::drop);
	run_completions();
	EXPECT_EQ(cache.num_pieces(), 0u);
	EXPECT_EQ(pool.waiting_for_peers(), 0);
}

TEST_F(ChunkCacheTest, BackpressureKeepsAPartOfAChunkWhileMemoryAllowsIt)
{
	// Dropping it would fail the piece's hash, and libtorrent bans a peer
	// that sent a whole failed piece.
	write(1, 0);
	write(1, 1);
	cache.relieve_pressure(out);
	run_completions();
	write(1, 2);
	EXPECT_EQ(io.writes.size(), 1u);
	EXPECT_EQ(hash(1), chunks->piece_hashes[1]);
}

TEST_F(ChunkCacheTest, BackpressureDropsAPartOfAChunkAsALastResort)
{
	// Two blocks held, and the budget's low mark below them: peers would
	// never send again, so the part goes (and the piece is fetched again).
	pool.set_budget(3 * block);
	write(1, 0);
	write(1, 1);
	cache.relieve_pressure(out);
	run_completions();
	write(1, 2);
	EXPECT_TRUE(io.writes.empty());
	EXPECT_NE(hash(1), chunks->piece_hashes[1]);
}

TEST_F(ChunkCacheTest, AChunkThatFailsItsHashIsNotWritten)
{
	write_piece(0, /*flip=*/1);
	EXPECT_EQ(write_errors, 0);
	EXPECT_TRUE(io.writes.empty());
	EXPECT_NE(hash(0), chunks->piece_hashes[0]);
	EXPECT_TRUE(disk_is_zero(0, 3 * window));
}

TEST_F(ChunkCacheTest, AChunkIsServedMadeAgainFromTheTarget)
{
	put_on_disk(0);
	std::string const first = read(0, 0, block);
	EXPECT_EQ(first, std::string(stored[0].data(), std::min<std::size_t>(block, stored[0].size())) +
		std::string(std::size_t(std::max<int>(0, block - int(stored[0].size()))), '\0'));
	EXPECT_EQ(stats.chunks_remade.load(), 1);
	// The pad reads as zeros, without making anything.
	EXPECT_EQ(read(0, 3 * block, block), std::string(block, '\0'));
	EXPECT_EQ(stats.chunks_remade.load(), 1);
}

TEST_F(ChunkCacheTest, UnderATightBudgetTheScratchIsGivenBackAfterTheChunkIsServed)
{
	// The scratch goes back to the pool as soon as memory is short; the
	// bytes served must not come from it after that.
	pool.set_budget(6 * block);
	put_on_disk(0);
	std::string const first = read(0, 0, block);
	EXPECT_EQ(first.substr(0, stored[0].size()), std::string(stored[0].data(), stored[0].size()));
	cache.flush_all(out);
	run_completions();
	EXPECT_EQ(pool.bytes_in_use(), 0);
}

TEST_F(ChunkCacheTest, AChunkMadeAgainThatDoesNotMatchItsPieceIsNotServed)
{
	put_on_disk(1);
	io.disk()[2 * window + 100] ^= 1;  // the target changed since
	lt::storage_error error;
	EXPECT_EQ(read(1, 0, block, &error), "");
	EXPECT_TRUE(error);
}

TEST_F(ChunkCacheTest, AnUnservableChunkIsServedOnceTheTargetIsFoundToHoldIt)
{
	put_on_disk(1);
	io.disk()[2 * window + 100] ^= 1;
	lt::storage_error error;
	EXPECT_EQ(read(1, 0, block, &error), "");
	EXPECT_EQ(cache.num_pieces(), 0u) << "a failed read left an empty piece behind";
	io.disk()[2 * window + 100] ^= 1;  // mended, e.g. by an earlier deploy
	EXPECT_EQ(hash(1), chunks->piece_hashes[1]);
	EXPECT_EQ(read(1, 0, block), std::string(stored[1].data(), block));
}

TEST_F(ChunkCacheTest, AChunkCompletedInMemoryByAReadIsWrittenWhenItsHashPasses)
{
	// Blocks from a peer, the rest made again for a read: libtorrent's hash
	// of it passes, so the blocks from the peer must reach the disk (the
	// hash is recorded where write_out() looks for it).
	put_on_disk(1);
	write(1, 0);
	write(1, 1);
	int const rest = int(stored[1].size()) - 2 * block;  // the last piece ends with its chunk
	EXPECT_EQ(read(1, 2 * block, rest).size(), std::size_t(rest));
	EXPECT_EQ(hash(1), chunks->piece_hashes[1]);
	EXPECT_EQ(io.writes.size(), 1u) << "a piece reported as passed was not written";
	EXPECT_EQ(write_errors, 0);
}

TEST_F(ChunkCacheTest, AReadOfThePadAloneLeavesNothingBehind)
{
	EXPECT_EQ(read(0, 3 * block, block), std::string(block, '\0'));
	EXPECT_EQ(cache.num_pieces(), 0u);
	EXPECT_EQ(stats.chunks_remade.load(), 0);
}

TEST_F(ChunkCacheTest, ATargetThatHoldsTheChunkVerifiesWithoutItsBytes)
{
	put_on_disk(1);
	EXPECT_EQ(hash(1), chunks->piece_hashes[1]);
	put_on_disk(0);
	io.disk()[8192 + 19999] ^= 1;
	EXPECT_EQ(hash(0), lt::sha1_hash()) << "a target that differs must not verify";
}

}  // namespace
}  // namespace ezio::storage
