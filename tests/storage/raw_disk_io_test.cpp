// The disk_interface adapter, driven as libtorrent drives it: calls from
// one thread, handlers run on an io_context. Every handler must run exactly
// once, also across stop and abort.
#include "storage/raw_disk_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <libtorrent/disk_observer.hpp>
#include <libtorrent/hasher.hpp>

#include "storage/fake_io.hpp"
#include "support/scratch_dir.hpp"

namespace ezio::storage {
namespace {

constexpr int kib = 1024;
constexpr int block = BlockPool::block_size;
constexpr int piece_length = 64 * kib;  // 4 blocks

struct Observer final : lt::disk_observer {
	void on_disk() override { ++woken; }
	int woken = 0;
};

class RawDiskIOTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		m_path = m_dir.empty_file("target");

		// Two extents with a gap, 5 pieces in all.
		m_files.add_file("sda1/0000000000010000", 100 * kib);
		m_files.add_file("sda1/0000000000080000", 220 * kib);
		m_files.set_piece_length(piece_length);
		m_files.set_num_pieces(5);
		m_info_hash = lt::sha1_hash("0123456789abcdefghij");

		std::mt19937 rng(5);
		m_data.resize(std::size_t(m_files.total_size()));
		for (char& c : m_data) c = char(rng());
	}

	// Creates the engine (with `budget` bytes) and the torrent's storage.
	void start(std::int64_t budget = 64 << 20)
	{
		auto target = Target::open(m_path, Target::Access::read_write);
		ASSERT_TRUE(target) << target.error();
		m_registry.put(m_info_hash, PreparedTarget{std::move(target.value()), StartCheck::trust_record, nullptr});
		auto io = std::make_unique<testing::FakeIo>(4 << 20);
		m_io = io.get();
		EngineConfig config;
		config.threads = 3;
		// Nothing here may rely on the timed write-out of incomplete pieces.
		config.flush_after = std::chrono::hours(1);
		m_settings.set_int(lt::settings_pack::cache_size, int(budget / BlockPool::block_size));
		m_engine = std::make_unique<RawDiskIO>(m_ioc, m_settings, config, m_registry, std::move(io));
		lt::aux::vector<lt::download_priority_t, lt::file_index_t> priorities;
		lt::storage_params params(m_files, nullptr, m_path, lt::storage_mode_sparse, priorities, m_info_hash);
		m_holder = m_engine->new_torrent(params, nullptr);
		m_storage = m_holder;
	}

	// async_write of one block; returns what async_write returned.
	bool write(int piece, int b, std::shared_ptr<lt::disk_observer> observer = {})
	{
		int const start = b * block;
		int const length = std::min(block, m_files.piece_size(lt::piece_index_t{piece}) - start);
		++m_expected;
		return m_engine->async_write(m_storage, lt::peer_request{lt::piece_index_t{piece}, start, length},
			m_data.data() + piece * piece_length + start, std::move(observer),
			[this](lt::storage_error const& e) {
				++m_called;
				if (e) ++m_errors;
			},
			{});
	}

	void write_piece(int piece)
	{
		int const blocks = (m_files.piece_size(lt::piece_index_t{piece}) + block - 1) / block;
		for (int b = 0; b < blocks; ++b) write(piece, b);
	}

	// Runs handlers until `done` or a timeout.
	void run_until(std::function<bool()> const& done)
	{
		// The io_context returns at once while it has no work: the workers
		// post theirs when they are done.
		for (int i = 0; i < 2000 && !done(); ++i) {
			m_ioc.restart();
			m_ioc.poll();
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
		}
		ASSERT_TRUE(done());
	}

	// The torrent's bytes of extent 0 / 1 as they are on the fake disk.
	bool on_disk(std::int64_t torrent_from, std::int64_t length) const
	{
		for (std::int64_t i = torrent_from; i < torrent_from + length; ++i) {
			std::int64_t const disk = i < 100 * kib ? 0x10000 + i : 0x80000 + (i - 100 * kib);
			if (m_io->disk()[disk] != m_data[std::size_t(i)]) return false;
		}
		return true;
	}

	lt::io_context m_ioc;
	lt::settings_pack m_settings;
	TargetRegistry m_registry;
	testing::FakeIo* m_io = nullptr;
	std::unique_ptr<RawDiskIO> m_engine;
	lt::storage_holder m_holder;
	lt::storage_index_t m_storage{0};
	lt::file_storage m_files;
	lt::sha1_hash m_info_hash;
	std::vector<char> m_data;
	test::ScratchDir m_dir;
	std::string m_path;
	int m_expected = 0;
	int m_called = 0;
	int m_errors = 0;
};

TEST_F(RawDiskIOTest, WriteHashReadRoundTrip)
{
	start();
	write_piece(1);  // spans both extents
	lt::sha1_hash got;
	bool hashed = false;
	m_engine->async_hash(m_storage, lt::piece_index_t{1}, {}, lt::disk_interface::v1_hash,
		[&](lt::piece_index_t, lt::sha1_hash const& h, lt::storage_error const& e) {
			EXPECT_FALSE(e) << e.ec.message();
			got = h;
			hashed = true;
		});
	std::string read_back;
	m_engine->async_read(m_storage, lt::peer_request{lt::piece_index_t{1}, 2 * block, block},
		[&](lt::disk_buffer_holder h, lt::storage_error const& e) {
			EXPECT_FALSE(e);
			read_back.assign(h.data(), std::size_t(h.size()));
		},
		{});
	run_until([&] { return hashed && !read_back.empty() && m_called == m_expected; });
	EXPECT_EQ(got, lt::hasher(m_data.data() + piece_length, piece_length).final());
	EXPECT_EQ(read_back, std::string(m_data.data() + piece_length + 2 * block, block));
	EXPECT_EQ(m_errors, 0);
	EXPECT_TRUE(on_disk(piece_length, piece_length));
}

TEST_F(RawDiskIOTest, StopWritesOutIncompletePiecesThenCallsBack)
{
	start();
	write(2, 0);
	write(2, 3);
	bool stopped = false;
	m_engine->async_stop_torrent(m_storage, [&] {
		// Every write completed before the stop did.
		EXPECT_EQ(m_called, m_expected);
		stopped = true;
	});
	run_until([&] { return stopped; });
	EXPECT_TRUE(on_disk(2 * piece_length, block));
	EXPECT_TRUE(on_disk(2 * piece_length + 3 * block, block));
}

TEST_F(RawDiskIOTest, AbortRunsEveryHandlerOnceAndLaterCallsFail)
{
	start();
	for (int p = 0; p < 5; ++p) write(p, 0);  // incomplete pieces everywhere
	write_piece(4);
	int released = 0;
	m_engine->async_release_files(m_storage, [&] { ++released; });
	m_engine->abort(true);
	run_until([&] { return m_called == m_expected && released == 1; });
	EXPECT_EQ(m_errors, 0) << "aborting must write out, not drop, what was accepted";
	EXPECT_TRUE(on_disk(0, block));
	EXPECT_GE(m_io->syncs(), 1) << "a clean shutdown syncs the target";

	// After abort, calls are answered with an error, still exactly once.
	write(3, 1);
	bool hashed = false;
	m_engine->async_hash(m_storage, lt::piece_index_t{3}, {}, {},
		[&](lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const& e) {
			EXPECT_TRUE(e);
			hashed = true;
		});
	run_until([&] { return hashed && m_called == m_expected; });
	EXPECT_EQ(m_errors, 1);
	m_ioc.restart();
	m_ioc.poll();
	EXPECT_EQ(m_called, m_expected);
}

// sync() is the durability barrier: what was accepted before it is written
// out, then the target is fdatasync'ed, then the caller hears the outcome.
class RawDiskIOSyncTest : public RawDiskIOTest {
protected:
	// Calls sync() and runs handlers until it answers; returns its error.
	lt::storage_error sync()
	{
		std::atomic<bool> answered = false;
		lt::storage_error result;
		Status const started = m_engine->sync(m_info_hash, [&](lt::storage_error const& e) {
			result = e;
			answered = true;
		});
		EXPECT_TRUE(started) << started.error();
		run_until([&] { return answered.load(); });
		return result;
	}
};

TEST_F(RawDiskIOSyncTest, WritesOutWhatItHoldsBeforeTheFdatasync)
{
	start();
	write(2, 0);  // incomplete pieces: held in memory
	write(3, 1);
	ASSERT_TRUE(m_io->writes.empty()) << "the test needs blocks the engine still holds";
	lt::storage_error const error = sync();
	EXPECT_FALSE(error) << error.ec.message();
	EXPECT_TRUE(on_disk(2 * piece_length, block));
	EXPECT_TRUE(on_disk(3 * piece_length + block, block));
	auto const log = m_io->log();
	ASSERT_EQ(m_io->syncs(), 1);
	EXPECT_EQ(log.back(), testing::FakeIo::Op::sync) << "a write after the fdatasync would not be covered by it";
	EXPECT_EQ(std::count(log.begin(), log.end(), testing::FakeIo::Op::write), 2);
	run_until([&] { return m_called == m_expected; });
	EXPECT_EQ(m_errors, 0);
}

TEST_F(RawDiskIOSyncTest, AFailedFdatasyncReachesTheCaller)
{
	start();
	write_piece(0);
	m_io->fail_syncs(lt::error_code(EIO, boost::system::system_category()));
	lt::storage_error const error = sync();
	EXPECT_EQ(error.ec, lt::error_code(EIO, boost::system::system_category()));
	EXPECT_EQ(m_io->syncs(), 1);
	// Once the error is gone, the next sync succeeds: nothing is sticky.
	m_io->fail_syncs({});
	EXPECT_FALSE(sync());
}

TEST_F(RawDiskIOSyncTest, ATorrentItDoesNotHaveIsNotSynced)
{
	start();
	Status const unknown = m_engine->sync(lt::sha1_hash("not-a-torrent-hash!!"), [](lt::storage_error const&) {
		ADD_FAILURE() << "called for a torrent the engine does not have";
	});
	ASSERT_FALSE(unknown);
	EXPECT_EQ(unknown.error(), "the torrent's storage is not open");
	m_engine->abort(true);
	EXPECT_FALSE(m_engine->sync(m_info_hash, [](lt::storage_error const&) {
		ADD_FAILURE() << "called after the engine stopped";
	}).has_value()) << "after abort nothing is synced";
	m_ioc.restart();
	m_ioc.poll();
	EXPECT_EQ(m_io->syncs(), 1) << "only abort's own sync";
}

TEST_F(RawDiskIOTest, BackpressureStopsAndReleasesPeers)
{
	start(16 * block);  // high watermark: 14 blocks
	auto observer = std::make_shared<Observer>();
	bool exceeded = false;
	for (int p = 0; p < 5 && !exceeded; ++p)
		for (int b = 0; b < 3 && !exceeded; ++b) exceeded = write(p, b, observer);  // never completes a piece
	ASSERT_TRUE(exceeded) << "a full budget must tell libtorrent to stop reading";
	// No more data arrives; the engine must write out what it holds and
	// wake the peer.
	run_until([&] { return observer->woken > 0 && m_called == m_expected; });
	EXPECT_EQ(m_errors, 0);
}

TEST_F(RawDiskIOTest, TheBudgetFollowsLibtorrentsCacheSizeSetting)
{
	start(64 << 20);
	EXPECT_EQ(m_engine->budget(), 64 << 20);
	m_settings.set_int(lt::settings_pack::cache_size, 1024);  // 16 KiB blocks
	m_engine->settings_updated();
	EXPECT_EQ(m_engine->budget(), 16 << 20);
	// A deployment goes on under the new budget.
	write_piece(0);
	run_until([&] { return m_called == m_expected; });
	EXPECT_EQ(m_errors, 0);
}

TEST_F(RawDiskIOTest, V2RequestsAndMovesAreRefusedNotDropped)
{
	start();
	int answered = 0;
	m_engine->async_hash2(m_storage, lt::piece_index_t{0}, 0, {},
		[&](lt::piece_index_t, lt::sha256_hash const&, lt::storage_error const& e) {
			EXPECT_TRUE(e);
			++answered;
		});
	m_engine->async_move_storage(m_storage, "/elsewhere", lt::move_flags_t::always_replace_files,
		[&](lt::status_t s, std::string const&, lt::storage_error const& e) {
			EXPECT_TRUE(e);
			EXPECT_EQ(s, lt::status_t::fatal_disk_error);
			++answered;
		});
	m_engine->async_delete_files(m_storage, {}, [&](lt::storage_error const& e) {
		EXPECT_TRUE(e) << "a raw target is never deleted";
		++answered;
	});
	run_until([&] { return answered == 3; });
}

}  // namespace
}  // namespace ezio::storage
