#include "storage/piece_cache.hpp"

#include <unistd.h>

#include <cstring>
#include <random>

#include <gtest/gtest.h>
#include <libtorrent/hasher.hpp>

#include "storage/cache_calls.hpp"
#include "storage/extent_storage.hpp"
#include "storage/fake_io.hpp"
#include "support/scratch_dir.hpp"

namespace ezio::storage {
namespace {

constexpr int kib = 1024;
constexpr int block = BlockPool::block_size;

// Three extents with gaps; 32 KiB pieces of 16 KiB blocks:
//   piece 0: block 0 -> extent 0 [0, 16K)
//            block 1 -> extent 0 [16K, 20K) + extent 1 [0, 12K)
//   piece 1: block 0 -> extent 1 [12K, 28K)
//            block 1 -> extent 1 [28K, 30K) + extent 2 [0, 14K)
struct Layout {
	std::int64_t disk;
	std::int64_t length;
};
std::vector<Layout> const gapped_extents{{0x10000, 20 * kib}, {0x40000, 30 * kib}, {0x80000, 14 * kib}};
constexpr int piece_length = 32 * kib;

class PieceCacheTest : public ::testing::Test, public lt::buffer_allocator_interface {
protected:
	explicit PieceCacheTest(std::vector<Layout> layout = gapped_extents, std::int64_t budget = 1 << 20)
		: extents(std::move(layout)), pool(budget, {})
	{}

	void SetUp() override
	{
		m_target_path = m_dir.empty_file("target");
		auto target = Target::open(m_target_path, Target::Access::read_write);
		ASSERT_TRUE(target) << target.error();

		lt::file_storage fs;
		for (auto const& e : extents) {
			char name[40];
			std::snprintf(name, sizeof(name), "sda1/%032llx", static_cast<unsigned long long>(e.disk));
			fs.add_file(name, e.length);
		}
		fs.set_piece_length(piece_length);
		fs.set_num_pieces(int((fs.total_size() + piece_length - 1) / piece_length));
		auto map = ExtentMap::build(fs);
		ASSERT_TRUE(map) << map.error();
		storage = std::make_shared<ExtentStorage>(1, lt::sha1_hash(), std::move(map.value()), std::move(target.value()), io);

		std::mt19937 rng(3);
		data.resize(std::size_t(fs.total_size()));
		for (char& c : data) c = char(rng());
	}

	// Puts the torrent's bytes where they belong on the fake disk, as if
	// they had been deployed before.
	void put_on_disk()
	{
		std::int64_t at = 0;
		for (auto const& e : extents) {
			std::memcpy(io.disk() + e.disk, data.data() + at, std::size_t(e.length));
			at += e.length;
		}
	}

	void TearDown() override
	{
		cache.flush_all(out);
		run_completions();
		EXPECT_EQ(pool.bytes_in_use(), 0) << "blocks leaked";
	}

	void free_disk_buffer(char* b) override { pool.release(b); }

	// Hands block `b` of `piece` to the cache, as libtorrent's async_write.
	void write(int piece, int b, std::vector<lt::storage_error>* results = nullptr)
	{
		int const start = b * block;
		int const length = std::min(block, storage->extents().piece_size(lt::piece_index_t{piece}) - start);
		char* buf = pool.allocate();
		std::memcpy(buf, data.data() + piece * piece_length + start, std::size_t(length));
		cache.write(storage, lt::peer_request{lt::piece_index_t{piece}, start, length}, buf,
			[this, results](lt::storage_error const& e) {
				++write_handlers;
				if (results) results->push_back(e);
			},
			out);
	}

	lt::sha1_hash hash(int piece, lt::storage_error* error = nullptr)
	{
		return testing::hash_piece(cache, storage, out, piece, error);
	}

	std::string read(int piece, int start, int length, lt::storage_error* error = nullptr)
	{
		return testing::read_range(cache, storage, out, piece, start, length, error);
	}

	lt::sha1_hash expected_hash(int piece) const
	{
		int const size = storage->extents().piece_size(lt::piece_index_t{piece});
		return lt::hasher(data.data() + piece * piece_length, size).final();
	}

	// The bytes of the torrent that belong at each extent are there.
	void expect_on_disk(std::int64_t torrent_from, std::int64_t torrent_to) const
	{
		std::int64_t torrent_offset = 0;
		for (auto const& e : extents) {
			for (std::int64_t i = 0; i < e.length; ++i, ++torrent_offset) {
				if (torrent_offset < torrent_from || torrent_offset >= torrent_to) continue;
				ASSERT_EQ(io.disk()[e.disk + i], data[std::size_t(torrent_offset)])
					<< "torrent byte " << torrent_offset << " at disk " << e.disk + i;
			}
		}
	}

	void run_completions()
	{
		for (auto& c : out) c();
		out.clear();
	}

	std::vector<Layout> extents;
	testing::FakeIo io{4 << 20};
	BlockPool pool;
	EngineStats stats;
	CacheLedger ledger;
	PieceCache cache{pool, *this, stats, ledger};
	std::shared_ptr<ExtentStorage> storage;
	std::vector<char> data;
	Completions out;
	int write_handlers = 0;
	test::ScratchDir m_dir;
	std::string m_target_path;
};

TEST_F(PieceCacheTest, CompletePieceIsHashedFromMemoryAndWrittenOncePerDiskRun)
{
	write(0, 1);
	run_completions();
	EXPECT_TRUE(io.writes.empty()) << "an incomplete piece must wait in memory";
	EXPECT_EQ(write_handlers, 0) << "handlers complete only once their data is on disk";

	write(0, 0);
	run_completions();
	EXPECT_EQ(write_handlers, 2);
	// Block 0 and the first 4 KiB of block 1 are one run on extent 0; the
	// rest of block 1 is a second run on extent 1.
	ASSERT_EQ(io.writes.size(), 2u);
	EXPECT_EQ(io.writes[0].offset, 0x10000);
	EXPECT_EQ(io.writes[0].length, 20 * kib);
	EXPECT_EQ(io.writes[0].buffers, 2u);
	EXPECT_EQ(io.writes[1].offset, 0x40000);
	EXPECT_EQ(io.writes[1].length, 12 * kib);
	expect_on_disk(0, piece_length);

	// The hash comes from memory: no read. The piece stays, to be served.
	EXPECT_EQ(hash(0), expected_hash(0));
	EXPECT_TRUE(io.reads.empty());
	EXPECT_EQ(cache.num_pieces(), 1u);
	EXPECT_EQ(cache.clean_bytes(), 2 * block);
}

TEST_F(PieceCacheTest, HashOfAPieceWrittenOutEarlyReadsWhatIsOnDisk)
{
	write(1, 0);
	cache.flush_partial(PieceCache::Clock::now(), out);
	run_completions();
	EXPECT_EQ(write_handlers, 1);
	ASSERT_EQ(io.writes.size(), 1u);
	EXPECT_EQ(cache.clean_bytes(), block) << "a block written out early stays readable";
	cache.relieve_pressure(out);  // gives the memory back
	EXPECT_EQ(cache.clean_bytes(), 0);

	write(1, 1);  // the piece is now complete, but block 0 is only on disk
	run_completions();
	EXPECT_EQ(write_handlers, 1) << "the last block waits for the hash";
	EXPECT_EQ(hash(1), expected_hash(1));
	EXPECT_EQ(write_handlers, 2);
	EXPECT_EQ(io.reads.size(), 1u);  // block 0 of piece 1 is one run on disk
	expect_on_disk(piece_length, 2 * piece_length);
}

TEST_F(PieceCacheTest, AFailedRunFailsExactlyTheBlocksInIt)
{
	// Extent 2 fails: only piece 1's block 1 has bytes there.
	io.fail_range(0x80000, 14 * kib);
	std::vector<lt::storage_error> results;
	write(1, 0, &results);
	write(1, 1, &results);
	run_completions();
	ASSERT_EQ(results.size(), 2u);
	EXPECT_FALSE(results[0]) << results[0].ec.message();
	EXPECT_EQ(results[1].ec.value(), EIO);
	EXPECT_EQ(results[1].operation, lt::operation_t::file_write);
	EXPECT_EQ(static_cast<int>(results[1].file()), 2) << "the error names the extent that failed";
	expect_on_disk(piece_length, piece_length + block);  // block 0 still landed
	EXPECT_EQ(cache.clean_bytes(), block) << "only what reached the disk may be served";
}

TEST_F(PieceCacheTest, ReadsServeBlocksStillInMemory)
{
	write(0, 1);
	run_completions();
	std::string const got = read(0, block, 16 * kib);
	EXPECT_EQ(got, std::string(data.data() + block, 16 * kib));
	EXPECT_TRUE(io.reads.empty());
}

TEST_F(PieceCacheTest, WrittenPiecesStayReadable)
{
	write(0, 0);
	write(0, 1);
	run_completions();
	EXPECT_EQ(cache.clean_bytes(), 2 * block);
	// Piece 0 block 1 spans extents 0 and 1; it is served from memory.
	EXPECT_EQ(read(0, block, 16 * kib), std::string(data.data() + block, 16 * kib));
	EXPECT_TRUE(io.reads.empty());
}

TEST_F(PieceCacheTest, ReadAheadFetchesTheWindowWithOneReadPerDiskRun)
{
	put_on_disk();
	// Piece 1 lies on extent 1 (18 KiB) and extent 2 (14 KiB): one request
	// reads the whole piece in two reads...
	EXPECT_EQ(read(1, 0, block), std::string(data.data() + piece_length, block));
	ASSERT_EQ(io.reads.size(), 2u);
	EXPECT_EQ(io.reads[0].offset, 0x40000 + 12 * kib);
	EXPECT_EQ(io.reads[0].length, 18 * kib);
	EXPECT_EQ(io.reads[1].offset, 0x80000);
	EXPECT_EQ(io.reads[1].length, 14 * kib);
	// ...and the next block is already in memory.
	EXPECT_EQ(read(1, block, 16 * kib), std::string(data.data() + piece_length + block, 16 * kib));
	EXPECT_EQ(io.reads.size(), 2u);
	EXPECT_EQ(stats.cache_misses.load(), 1);
	EXPECT_EQ(stats.cache_hits.load(), 1);
}

TEST_F(PieceCacheTest, ReadErrorsReachTheHandler)
{
	io.fail_range(0x40000, 30 * kib);
	lt::storage_error error;
	EXPECT_TRUE(read(1, 0, block, &error).empty());
	EXPECT_EQ(error.ec.value(), EIO);
	EXPECT_EQ(error.operation, lt::operation_t::file_read);
}

TEST_F(PieceCacheTest, ABlockSentTwiceCompletesBothWrites)
{
	write(0, 0);
	write(0, 0);
	write(0, 1);
	run_completions();
	EXPECT_EQ(write_handlers, 3);
	EXPECT_EQ(hash(0), expected_hash(0));
}

TEST_F(PieceCacheTest, UnalignedReadsAreCopied)
{
	put_on_disk();
	EXPECT_EQ(read(0, 1000, 3000), std::string(data.data() + 1000, 3000));
	EXPECT_EQ(read(0, block - 100, 200), std::string(data.data() + block - 100, 200));
}

TEST_F(PieceCacheTest, FlushStorageWritesEverythingAndForgets)
{
	write(0, 0);
	write(1, 1);
	cache.flush_storage(*storage, out);
	run_completions();
	EXPECT_EQ(write_handlers, 2);
	EXPECT_EQ(cache.num_pieces(), 0u);
	expect_on_disk(0, block);
	expect_on_disk(piece_length + block, 2 * piece_length);
}

TEST_F(PieceCacheTest, ASyncWritesEverythingAndKeepsWhatIsOnDiskAsReadCache)
{
	write(0, 0);
	write(0, 1);  // piece 0 whole: written, now read cache
	write(1, 1);  // piece 1 partial: written out by the sync
	run_completions();
	cache.write_storage(*storage, out);
	run_completions();
	EXPECT_EQ(write_handlers, 3);
	expect_on_disk(0, piece_length);
	expect_on_disk(piece_length + block, 2 * piece_length);
	// Peers ask for a piece just received next: it is served from memory.
	EXPECT_EQ(read(0, 0, block), std::string(data.data(), block));
	EXPECT_EQ(read(1, block, 16 * kib), std::string(data.data() + piece_length + block, 16 * kib));
	EXPECT_TRUE(io.reads.empty());
	EXPECT_EQ(stats.cache_misses.load(), 0);
}

TEST_F(PieceCacheTest, MisalignedWritesAreRefusedNotMisplaced)
{
	std::vector<lt::storage_error> results;
	char* buf = pool.allocate();
	cache.write(storage, lt::peer_request{lt::piece_index_t{0}, 100, 1000}, buf,
		[&](lt::storage_error const& e) { results.push_back(e); }, out);
	run_completions();
	ASSERT_EQ(results.size(), 1u);
	EXPECT_TRUE(results[0]);
	EXPECT_TRUE(io.writes.empty());
}

TEST_F(PieceCacheTest, PartialPiecesAreWrittenOutOnlyWhenDue)
{
	write(0, 0);
	auto const first = cache.oldest_write();
	ASSERT_TRUE(first.has_value());
	cache.flush_partial(*first - std::chrono::milliseconds(1), out);
	run_completions();
	EXPECT_TRUE(io.writes.empty());
	cache.flush_partial(*first, out);
	run_completions();
	EXPECT_EQ(io.writes.size(), 1u);
	EXPECT_FALSE(cache.oldest_write().has_value());
}

// One long extent of 8 pieces of 2 blocks, and a budget of 8 blocks: the
// read cache may hold 4 of them.
class PieceCachePolicyTest : public PieceCacheTest {
protected:
	PieceCachePolicyTest() : PieceCacheTest({{0x100000, 8 * piece_length}}, 8 * block) {}
	void SetUp() override
	{
		PieceCacheTest::SetUp();
		put_on_disk();
	}

	// Takes every block of the budget, then reads block 0 of piece 3: the
	// read parks. Returns the blocks taken; `got` and `error` get the read's
	// outcome when it is served.
	std::vector<char*> park_a_read(std::string& got, lt::storage_error& error)
	{
		std::vector<char*> held;
		while (char* b = pool.try_allocate()) held.push_back(b);
		cache.read(storage, lt::peer_request{lt::piece_index_t{3}, 0, block},
			[&got, &error](lt::disk_buffer_holder h, lt::storage_error const& e) {
				got.assign(h.data(), std::size_t(h.size()));
				error = e;
			},
			out);
		return held;
	}

	// A peer got every block of `piece` from us.
	void send_in_full(int piece)
	{
		read(piece, 0, block);
		read(piece, block, block);
	}

	// Every block of `piece` came from peers and was written.
	void receive(int piece)
	{
		write(piece, 0);
		write(piece, 1);
		run_completions();
	}
};

TEST_F(PieceCachePolicyTest, ReadsWaitWhileTheBudgetIsUsedUpAndAreNeverFailed)
{
	std::string got;
	lt::storage_error error;
	auto const held = park_a_read(got, error);
	run_completions();
	EXPECT_EQ(cache.num_parked(), 1u);
	EXPECT_TRUE(got.empty());

	cache.retry_parked(out);  // still no memory
	EXPECT_EQ(cache.num_parked(), 1u);

	for (char* b : held) pool.release(b);
	cache.retry_parked(out);
	run_completions();
	EXPECT_EQ(cache.num_parked(), 0u);
	EXPECT_FALSE(error);
	EXPECT_EQ(got, std::string(data.data() + 3 * piece_length, block));
}

TEST_F(PieceCachePolicyTest, ASyncLeavesParkedReadsWaiting)
{
	std::string got;
	lt::storage_error error;
	auto const held = park_a_read(got, error);
	cache.write_storage(*storage, out);
	run_completions();
	EXPECT_EQ(cache.num_parked(), 1u);
	EXPECT_FALSE(error);

	for (char* b : held) pool.release(b);
	cache.retry_parked(out);
	run_completions();
	EXPECT_FALSE(error);
	EXPECT_EQ(got, std::string(data.data() + 3 * piece_length, block));
}

TEST_F(PieceCachePolicyTest, SentPiecesAreEvictedFirst)
{
	// Piece 0 is sent in full; piece 1 is read later but only half sent.
	send_in_full(0);
	read(1, 0, block);
	EXPECT_EQ(cache.clean_bytes(), 4 * block);
	std::size_t const reads = io.reads.size();
	// A third piece goes over the cache's share: the piece sent in full
	// makes room, not the one a peer is still reading.
	read(2, 0, block);
	EXPECT_EQ(io.reads.size(), reads + 1);
	read(1, block, block);  // still cached
	EXPECT_EQ(io.reads.size(), reads + 1);
	read(0, 0, block);  // evicted
	EXPECT_EQ(io.reads.size(), reads + 2);
}

TEST_F(PieceCachePolicyTest, APieceReceivedFromPeersStaysByRecencyWhenSentInFull)
{
	// Piece 0 came from a peer and went to one; the swarm will ask for it
	// again. Piece 1 was read ahead from the target and is only half sent.
	receive(0);
	send_in_full(0);
	read(1, 0, block);
	EXPECT_EQ(cache.clean_bytes(), 4 * block);
	std::size_t const reads = io.reads.size();
	// Over the share: the least recently used goes, the received piece.
	read(2, 0, block);
	read(3, 0, block);
	std::size_t const after = io.reads.size();
	EXPECT_EQ(after, reads + 2);
	send_in_full(0);  // evicted by recency, not first
	EXPECT_EQ(io.reads.size(), after + 1);
	// Received and sent the same way, but last: it stays.
	receive(4);
	send_in_full(4);
	read(5, 0, block);
	std::size_t const now = io.reads.size();
	read(4, 0, block);
	EXPECT_EQ(io.reads.size(), now) << "a piece received and sent once was evicted before older ones";
}

TEST_F(PieceCachePolicyTest, TheReadCacheStaysWithinItsShareOfTheBudget)
{
	for (int p = 0; p < 8; ++p) read(p, 0, block);
	EXPECT_LE(cache.clean_bytes(), pool.cache_limit());
	EXPECT_LE(pool.bytes_in_use(), pool.budget());
}

// Two workers' caches under one ledger, as the engine's workers are; a
// request to trim is recorded and run when the test says.
class SharedLedgerTest : public PieceCachePolicyTest {
protected:
	void TearDown() override
	{
		for (PieceCache* c : {&first, &second}) c->flush_all(out);
		run_completions();
		PieceCachePolicyTest::TearDown();
	}

	std::string read_on(PieceCache& worker, int piece)
	{
		return testing::read_range(worker, storage, out, piece, 0, block);
	}

	CacheLedger two{2};
	std::vector<int> asked;
	PieceCache first{pool, *this, stats, two, 0, [this](int w) { asked.push_back(w); }};
	PieceCache second{pool, *this, stats, two, 1, [this](int w) { asked.push_back(w); }};
};

TEST_F(SharedLedgerTest, TheWorkerHoldingTheOldestPieceEvictsForAll)
{
	// The read cache may hold 4 blocks; each read here caches one. The first
	// worker's piece is the oldest; the second worker then goes over its
	// equal share (2 blocks) with pieces its peers are reading.
	read_on(first, 0);
	for (int piece = 1; piece <= 3; ++piece) read_on(second, piece);
	EXPECT_TRUE(asked.empty()) << "within the limit nobody evicts";
	read_on(second, 4);
	ASSERT_EQ(asked, std::vector<int>{0}) << "the worker with the oldest piece is asked";
	EXPECT_EQ(second.clean_bytes(), 4 * block) << "the second worker kept what its peers read";

	first.trim();
	EXPECT_EQ(first.clean_bytes(), 0);
	EXPECT_EQ(two.clean_bytes(), 4 * block) << "back within the limit";
	std::size_t const reads = io.reads.size();
	for (int piece = 1; piece <= 4; ++piece) read_on(second, piece);
	EXPECT_EQ(io.reads.size(), reads) << "no piece of the second worker was read again";
}

TEST_F(SharedLedgerTest, AWorkerAskedWhenNoLongerOldestPassesTheRequestOn)
{
	read_on(first, 0);
	read_on(second, 1);
	read_on(second, 2);
	read_on(second, 3);
	read_on(first, 0);  // used again: now the newest; its rank is published
	read_on(second, 4);  // over the limit, and the second worker is oldest
	EXPECT_TRUE(asked.empty()) << "the oldest evicts without asking";
	EXPECT_EQ(two.clean_bytes(), 4 * block);
	EXPECT_EQ(first.clean_bytes(), block);

	// A stale request: the first worker is asked though it is not the
	// oldest. It evicts nothing of its own and asks the one that is.
	two.publish(0, CacheLedger::Rank{0});
	two.add_clean_bytes(block);  // as if over the limit again
	first.trim();
	EXPECT_EQ(first.clean_bytes(), block) << "its newest piece stays";
	EXPECT_EQ(asked, std::vector<int>{1});
	two.add_clean_bytes(-block);
}

}  // namespace
}  // namespace ezio::storage
