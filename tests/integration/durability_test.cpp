// A torrent is "finished" only once its data is durable on the target. Here
// the target is a loop device over a sparse file on a tmpfs too small for
// the data: every pwrite succeeds (it only fills the page cache) and the EIO
// surfaces when the data is synced (docs/architecture.md, "The durability gate"). The torrent must end in
// an error that says so, never finished; another torrent in the same daemon
// must finish normally. Once space is freed, resuming it starts over and
// finishes with the data on the backing store.
#include <sys/mount.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

TEST(Durability, FailedSyncIsAnErrorNotAFinish)
{
	ScratchDir dir;
	std::int64_t const mib = 1 << 20;

	// 24 MiB of data for a device whose backing store can hold 4 MiB.
	std::string const source = dir.file("source.img");
	create_sparse_file(source, 64 * mib);
	fill_pattern(source, 0, 24 * mib, 11);
	std::string const failing_torrent = extents_torrent(source, {{0, 24 * mib}}, "sdc1", 1 << 20);

	std::string const small = dir.file("small-tmpfs");
	std::filesystem::create_directories(small);
	run_or_throw({"mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", small});
	std::string const backing = small + "/backing.img";
	create_sparse_file(backing, 64 * mib);
	std::string device = run_or_throw({"losetup", "--find", "--show", backing});
	device.pop_back();

	// A healthy second partition for the same daemon.
	std::string const healthy_source = dir.file("healthy.img");
	create_sparse_file(healthy_source, 8 * mib);
	fill_pattern(healthy_source, 0, 8 * mib, 12);
	std::string const healthy_torrent = whole_image_torrent(healthy_source, 1 << 20);
	std::string const healthy_target = dir.file("healthy-target.img");
	create_sparse_file(healthy_target, 8 * mib);

	{
		TestDaemon seeder(dir, "seeder");
		TestDaemon leecher(dir, "leecher");
		ASSERT_TRUE(seeder.add(failing_torrent, source, true).ok());
		ASSERT_TRUE(seeder.add(healthy_torrent, healthy_source, true).ok());
		ASSERT_TRUE(leecher.add(failing_torrent, device, false, {seeder.peer()}).ok());
		ASSERT_TRUE(leecher.add(healthy_torrent, healthy_target, false, {seeder.peer()}).ok());

		EXPECT_TRUE(leecher.wait_finished(info_hash_of(healthy_torrent)).is_finished());
		expect_extents_equal(healthy_source, healthy_target, {{0, 8 * mib}});

		// Every piece arrives and passes its hash; then the sync fails.
		std::string const hash = info_hash_of(failing_torrent);
		std::optional<ezio::Torrent> t;
		auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
		while (std::chrono::steady_clock::now() < deadline) {
			t = leecher.status(hash);
			ASSERT_TRUE(t.has_value());
			ASSERT_FALSE(t->is_finished()) << "reported finished although the data never reached the disk";
			if (!t->error().empty()) break;
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
		}
		ASSERT_FALSE(t->error().empty()) << "no error after 60 s; progress " << t->progress();
		EXPECT_NE(t->error().find("Input/output error"), std::string::npos) << t->error();

		// It stays failed (and paused) rather than drifting into "finished".
		std::this_thread::sleep_for(std::chrono::milliseconds(1500));
		t = leecher.status(hash);
		ASSERT_TRUE(t.has_value());
		EXPECT_FALSE(t->is_finished());
		EXPECT_TRUE(t->is_paused());
		EXPECT_FALSE(t->error().empty());

		// The admin frees space and resumes: the torrent starts over (the page
		// cache cannot tell what reached the disk), and this time its data
		// lands on the backing store, verified there.
		run_or_throw({"mount", "-o", "remount,size=80m", small});
		grpc::ClientContext context;
		ezio::ResumeTorrentRequest resume;
		resume.set_hash(hash);
		ezio::ResumeTorrentResponse resumed;
		ASSERT_TRUE(leecher.api().ResumeTorrent(&context, resume, &resumed).ok());
		auto const done = leecher.wait_finished(hash, std::chrono::seconds(60));
		EXPECT_TRUE(done.is_finished());
		EXPECT_TRUE(done.error().empty()) << done.error();
		expect_extents_equal(source, backing, {{0, 24 * mib}});
		EXPECT_EQ(leecher.shutdown(), 0);
		EXPECT_EQ(seeder.shutdown(), 0);
	}
	run({"losetup", "-d", device});
	run({"umount", small});
}

}  // namespace
}  // namespace ezio::test
