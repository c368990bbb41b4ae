// The daemon flags that shape the session: upload limits, slow start, and
// several peers behind one IP address.
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "integration/deployment.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t mib = 1 << 20;

struct Source {
	std::string path;
	std::string torrent;
	std::string hash;
};

Source make_source(ScratchDir const& dir, std::string const& name, std::int64_t size)
{
	Source s;
	s.path = dir.file(name + ".img");
	create_sparse_file(s.path, size);
	fill_pattern(s.path, 0, size, 21);
	s.torrent = whole_image_torrent(s.path, 1 << 20);
	s.hash = info_hash_of(s.torrent);
	return s;
}

// Seconds a fresh leecher takes to fetch `source` from `seeder`.
double fetch_seconds(ScratchDir const& dir, TestDaemon& seeder, Source const& source, std::string const& name)
{
	std::string const target = dir.file(name + "-target.img");
	create_sparse_file(target, std::int64_t(std::filesystem::file_size(source.path)));
	TestDaemon leecher(dir, name);
	auto const start = Clock::now();
	EXPECT_TRUE(leecher.add(source.torrent, target, false, {seeder.peer()}).ok());
	EXPECT_TRUE(leecher.wait_finished(source.hash).is_finished());
	double const seconds = std::chrono::duration<double>(Clock::now() - start).count();
	expect_extents_equal(source.path, target, {{0, std::int64_t(std::filesystem::file_size(source.path))}});
	EXPECT_EQ(leecher.shutdown(), 0);
	return seconds;
}

TEST(SessionFlags, UploadRateLimitCapsTheSeeder)
{
	ScratchDir dir;
	Source const source = make_source(dir, "disk", 24 * mib);

	TestDaemon unlimited(dir, "unlimited-seeder");
	ASSERT_TRUE(unlimited.add(source.torrent, source.path, true).ok());
	double const fast = fetch_seconds(dir, unlimited, source, "leecher1");

	TestDaemon limited(dir, "limited-seeder", {"--upload-rate-limit", "6"});
	ASSERT_TRUE(limited.add(source.torrent, source.path, true).ok());
	double const slow = fetch_seconds(dir, limited, source, "leecher2");

	// 24 MiB at 6 MiB/s: about 4 s (libtorrent lets a first burst through).
	EXPECT_GT(slow, 2.5) << "unlimited took " << fast << " s";
	EXPECT_LT(fast, slow / 2) << "the limit made no difference";
	EXPECT_EQ(unlimited.shutdown(), 0);
	EXPECT_EQ(limited.shutdown(), 0);
}

TEST(SessionFlags, SlowStartBeginsAtTenMiBPerSecond)
{
	ScratchDir dir;
	Source const source = make_source(dir, "disk", 30 * mib);
	// A long period keeps the ramp on its first step for the whole test.
	TestDaemon seeder(dir, "seeder", {"--slow-start", "--slow-start-period", "600"});
	ASSERT_TRUE(seeder.add(source.torrent, source.path, true).ok());
	double const seconds = fetch_seconds(dir, seeder, source, "leecher");
	EXPECT_GT(seconds, 1.5) << "30 MiB at 10 MiB/s cannot take " << seconds << " s";
	EXPECT_NE(seeder.log().find("upload rate limit: 10.0 MiB/s"), std::string::npos) << seeder.log();
	EXPECT_EQ(seeder.shutdown(), 0);
}

TEST(SessionFlags, SeveralPeersFromOneAddress)
{
	ScratchDir dir;
	Source const source = make_source(dir, "disk", 16 * mib);
	// Every daemon here connects from 127.0.0.1. The seeder is throttled so
	// that both leechers are connected to it at once: 16 MiB at 4 MiB/s keeps
	// the first leecher busy for about 4 s.
	TestDaemon seeder(dir, "seeder", {"--allow-multiple-connections-per-ip", "--upload-rate-limit", "4"});
	ASSERT_TRUE(seeder.add(source.torrent, source.path, true).ok());

	// Both daemons start before either is given the torrent: on a loaded CI
	// machine a daemon's start (or an add) once took 15 s, and the first
	// leecher had finished and left before the second arrived.
	std::vector<std::unique_ptr<TestDaemon>> leechers;
	std::vector<std::string> targets;
	for (std::size_t i = 0; i < 2; ++i) {
		targets.push_back(dir.file("target" + std::to_string(i) + ".img"));
		create_sparse_file(targets.back(), 16 * mib);
		leechers.push_back(std::make_unique<TestDaemon>(dir, "leecher" + std::to_string(i)));
	}
	auto const first_add = std::chrono::steady_clock::now();
	// Only the seeder is named: a leecher it turned away would never finish.
	for (std::size_t i = 0; i < 2; ++i)
		ASSERT_TRUE(leechers[i]->add(source.torrent, targets[i], false, {seeder.peer()}).ok());
	double const adds_took = std::chrono::duration<double>(std::chrono::steady_clock::now() - first_add).count();

	// Watch until both are connected or neither can be any more.
	int most_peers = 0;
	auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (most_peers < 2 && std::chrono::steady_clock::now() < deadline) {
		if (auto const t = seeder.status(source.hash)) most_peers = std::max<int>(most_peers, int(t->num_peers()));
		bool all_done = true;
		for (auto& l : leechers) {
			auto const t = l->status(source.hash);
			all_done = all_done && t && t->is_finished();
		}
		if (all_done) break;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	for (std::size_t i = 0; i < 2; ++i) {
		EXPECT_TRUE(leechers[i]->wait_finished(source.hash, std::chrono::seconds(30)).is_finished());
		expect_extents_equal(source.path, targets[i], {{0, 16 * mib}});
	}
	EXPECT_EQ(most_peers, 2) << "the seeder never had both leechers connected; the two adds took " << adds_took
							 << " s";
	for (auto& l : leechers) EXPECT_EQ(l->shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
