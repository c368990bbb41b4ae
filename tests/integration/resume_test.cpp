// A deployment that stops half-way (the daemon is killed, or shut down)
// resumes where it stopped, and a target that already holds the image costs
// (almost) nothing to deploy again. The bound is the one admins can plan
// with: after a restart the daemon downloads at most the pieces it did not
// have, plus one piece per piece that was in flight.
//
// The byte counts come from the seeder, which does not restart: what it
// uploads after the leecher's restart is what the resumed deployment cost.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

constexpr std::int64_t mib = 1 << 20;
constexpr int piece_length = 1 << 20;
constexpr int num_pieces = 64;
// Pieces that may be in flight when a download stops (the leecher asks one
// peer for a few pieces at a time), each of which may be fetched again.
constexpr int in_flight_slack = 4;

class Resume : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto golden = make_golden_image(m_dir, num_pieces * mib, 21, piece_length);
		m_source = golden.path;
		m_torrent = golden.torrent;
		m_hash = golden.hash;
		m_target = m_dir.file("target.img");
		create_sparse_file(m_target, num_pieces * mib);
		fill_pattern(m_target, 0, num_pieces * mib, 22);
		m_state = m_dir.file("leecher.state");
	}

	// A leecher that keeps its progress in the same place across restarts.
	std::unique_ptr<TestDaemon> start_leecher(std::string const& name)
	{
		return std::make_unique<TestDaemon>(m_dir, name, std::vector<std::string>{"--state-dir", m_state});
	}

	std::int64_t uploaded(TestDaemon& seeder)
	{
		auto const t = seeder.status(m_hash);
		return t ? t->total_payload_upload() : -1;
	}

	// Polls until the leecher holds at least half of the pieces; returns how
	// many it reported last.
	std::int64_t wait_half(TestDaemon& leecher)
	{
		auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
		while (std::chrono::steady_clock::now() < deadline) {
			auto const t = leecher.status(m_hash);
			if (t && t->num_pieces() >= num_pieces / 2) {
				EXPECT_LT(t->num_pieces(), num_pieces) << "finished before it could be stopped; slow the seeder down";
				return t->num_pieces();
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		}
		ADD_FAILURE() << "the leecher never reached 50 %";
		return 0;
	}

	void set_paused(TestDaemon& daemon, bool paused) { test::set_paused(daemon, m_hash, paused); }

	// The leecher's piece count once it has not changed for 300 ms.
	std::int64_t settled_pieces(TestDaemon& leecher)
	{
		std::int64_t last = -1;
		for (int stable = 0; stable < 15;) {
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
			auto const t = leecher.status(m_hash);
			std::int64_t const now = t ? t->num_pieces() : -1;
			stable = now == last ? stable + 1 : 0;
			last = now;
		}
		EXPECT_LT(last, num_pieces) << "finished before it could be stopped; slow the seeder down";
		return last;
	}

	// A whole deployment onto the target, recorded in the state directory.
	void deploy_completely(TestDaemon& seeder)
	{
		auto leecher = start_leecher("leecher");
		ASSERT_TRUE(leecher->add(m_torrent, m_target, false, {seeder.peer()}).ok());
		ASSERT_TRUE(leecher->wait_finished(m_hash).is_finished());
		EXPECT_EQ(leecher->shutdown(), 0);
	}

	// Restarts the leecher on the same target, lets it finish, and checks
	// what it cost: at most the pieces it did not have when it stopped.
	void resume_and_check(TestDaemon& seeder, std::int64_t had_pieces)
	{
		// Sent to the stopped leecher but maybe never received: counted from here.
		std::this_thread::sleep_for(std::chrono::milliseconds(300));
		std::int64_t const before = uploaded(seeder);

		auto leecher = start_leecher("leecher-restarted");
		ASSERT_TRUE(leecher->add(m_torrent, m_target, false, {seeder.peer()}).ok());
		auto const done = leecher->wait_finished(m_hash);
		ASSERT_TRUE(done.is_finished());
		expect_extents_equal(m_source, m_target, {{0, num_pieces * mib}});

		std::int64_t const cost = uploaded(seeder) - before;
		std::int64_t const bound = (num_pieces - had_pieces + in_flight_slack) * std::int64_t(piece_length);
		EXPECT_LE(cost, bound) << "the restarted leecher downloaded " << cost / mib << " MiB; it had " << had_pieces
							   << " of " << num_pieces << " pieces";
		EXPECT_LE(done.total_payload_download(), bound);
		EXPECT_NE(leecher->log().find("resumes:"), std::string::npos) << "no resume record was used";
		EXPECT_EQ(leecher->shutdown(), 0);
	}

	// Adds the torrent to a new leecher writing `target` and waits until it
	// is finished; the target must then hold the image. Returns what it
	// downloaded; `log` gets the leecher's log.
	std::int64_t deploy_to(std::string const& target, TestDaemon& seeder, std::string const& name,
		std::string* log = nullptr)
	{
		auto leecher = start_leecher(name);
		EXPECT_TRUE(leecher->add(m_torrent, target, false, {seeder.peer()}).ok());
		auto const done = leecher->wait_finished(m_hash, std::chrono::seconds(60));
		EXPECT_TRUE(done.is_finished());
		expect_extents_equal(m_source, target, {{0, num_pieces * mib}});
		if (log != nullptr) *log = leecher->log();
		EXPECT_EQ(leecher->shutdown(), 0);
		return done.total_payload_download();
	}

	std::int64_t deploy_again(TestDaemon& seeder, std::string const& name, std::string* log = nullptr)
	{
		return deploy_to(m_target, seeder, name, log);
	}

	// Rewrites this torrent's durable record with `edit` (as a hand or a
	// bug might), and removes the volatile one.
	void edit_record(std::function<void(lt::entry&)> const& edit)
	{
		std::string const path = m_state + "/" + m_hash + ".durable";
		std::ifstream in(path, std::ios::binary);
		ASSERT_TRUE(in) << "no durable record";
		std::string const data((std::istreambuf_iterator<char>(in)), {});
		lt::entry record = lt::bdecode(data);
		edit(record);
		std::string out;
		lt::bencode(std::back_inserter(out), record);
		std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
		std::filesystem::remove(m_state + "/" + m_hash + ".volatile");
	}

	ScratchDir m_dir;
	std::string m_source, m_torrent, m_hash, m_target, m_state;
};

TEST_F(Resume, AfterTheDaemonWasKilled)
{
	// 16 MiB/s: the 64 MiB take 4 s, time enough to stop half-way.
	TestDaemon seeder(m_dir, "seeder", {"--upload-rate-limit", "16"});
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	std::int64_t had = 0;
	{
		auto leecher = start_leecher("leecher");
		ASSERT_TRUE(leecher->add(m_torrent, m_target, false, {seeder.peer()}).ok());
		wait_half(*leecher);
		// The record follows each finished piece within milliseconds; to
		// measure the record rather than that race, the seeder stops sending
		// and the count settles before the leecher is killed mid-download
		// (its torrent still downloading, partial pieces in memory).
		set_paused(seeder, true);
		had = settled_pieces(*leecher);
		leecher->process().signal(SIGKILL);
		ASSERT_TRUE(leecher->process().wait_for(std::chrono::seconds(10)));
	}
	set_paused(seeder, false);
	resume_and_check(seeder, had);
	EXPECT_EQ(seeder.shutdown(), 0);
}

TEST_F(Resume, AfterACleanShutdown)
{
	TestDaemon seeder(m_dir, "seeder", {"--upload-rate-limit", "16"});
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	std::int64_t had = 0;
	{
		auto leecher = start_leecher("leecher");
		ASSERT_TRUE(leecher->add(m_torrent, m_target, false, {seeder.peer()}).ok());
		had = wait_half(*leecher);
		EXPECT_EQ(leecher->shutdown(), 0);
	}
	// What the shutdown wrote must be enough on its own: the per-piece
	// records are only trusted within one boot.
	std::filesystem::remove(m_state + "/" + m_hash + ".volatile");
	ASSERT_TRUE(std::filesystem::exists(m_state + "/" + m_hash + ".durable")) << "no durable record at shutdown";
	resume_and_check(seeder, had);
	EXPECT_EQ(seeder.shutdown(), 0);
}

TEST_F(Resume, RedeployingACompleteTargetTransfersNothing)
{
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	deploy_completely(seeder);
	if (HasFatalFailure()) return;
	std::int64_t const before = uploaded(seeder);

	// With the record of the last run.
	{
		auto leecher = start_leecher("leecher-again");
		ASSERT_TRUE(leecher->add(m_torrent, m_target, false, {seeder.peer()}).ok());
		auto const done = leecher->wait_finished(m_hash, std::chrono::seconds(20));
		EXPECT_TRUE(done.is_finished());
		EXPECT_EQ(done.total_payload_download(), 0);
		EXPECT_EQ(leecher->shutdown(), 0);
	}
	// Without any record (another machine, a wiped state directory): the
	// target is hashed when asked, and only what differs is fetched. One
	// byte changed costs one piece.
	std::filesystem::remove_all(m_state);
	fill_pattern(m_target, 40 * mib + 123, 1, 99);
	{
		auto leecher = start_leecher("leecher-verify");
		ezio::AddRequest req;
		req.set_torrent(m_torrent);
		req.set_save_path(m_target);
		req.add_peers(seeder.peer());
		req.set_verify_target(true);
		ezio::AddResponse resp;
		grpc::ClientContext ctx;
		ASSERT_TRUE(leecher->api().AddTorrent(&ctx, req, &resp).ok());
		auto const done = leecher->wait_finished(m_hash, std::chrono::seconds(60));
		EXPECT_TRUE(done.is_finished());
		EXPECT_EQ(done.total_payload_download(), piece_length);
		expect_extents_equal(m_source, m_target, {{0, num_pieces * mib}});
		EXPECT_EQ(leecher->shutdown(), 0);
	}
	EXPECT_EQ(uploaded(seeder) - before, piece_length);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// A record belongs to one target: the same torrent onto another target
// starts from scratch rather than trusting pieces that are not there.
TEST_F(Resume, ARecordIsNotUsedForAnotherTarget)
{
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	deploy_completely(seeder);
	if (HasFatalFailure()) return;
	std::string const other = m_dir.file("other-target.img");
	create_sparse_file(other, num_pieces * mib);
	auto leecher = start_leecher("leecher-other");
	ASSERT_TRUE(leecher->add(m_torrent, other, false, {seeder.peer()}).ok());
	auto const done = leecher->wait_finished(m_hash);
	EXPECT_EQ(done.total_payload_download(), num_pieces * mib);
	expect_extents_equal(m_source, other, {{0, num_pieces * mib}});
	EXPECT_EQ(leecher->shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// Deploy A, then B, then A again onto the same target: the record of the
// first A describes data that B overwrote. It must not make A "finished".
TEST_F(Resume, ARecordOfAnOverwrittenImageIsNotTrusted)
{
	std::string const other_image = m_dir.file("golden-b.img");
	create_sparse_file(other_image, num_pieces * mib);
	fill_pattern(other_image, 0, num_pieces * mib, 23);
	std::string const other_torrent = whole_image_torrent(other_image, piece_length);
	std::string const other_hash = info_hash_of(other_torrent);

	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	ASSERT_TRUE(seeder.add(other_torrent, other_image, true).ok());
	deploy_completely(seeder);
	if (HasFatalFailure()) return;
	{
		auto leecher = start_leecher("leecher-b");
		ASSERT_TRUE(leecher->add(other_torrent, m_target, false, {seeder.peer()}).ok());
		ASSERT_TRUE(leecher->wait_finished(other_hash).is_finished());
		EXPECT_NE(leecher->log().find("about to overwrite: deleted"), std::string::npos) << leecher->log();
		EXPECT_EQ(leecher->shutdown(), 0);
	}
	EXPECT_FALSE(find_difference(other_image, m_target, 0, num_pieces * mib));
	EXPECT_EQ(deploy_again(seeder, "leecher-a-again"), num_pieces * mib);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// A write to the target after the record (dd, another tool) shows in the
// target's write stamp: the record's pieces are hashed first, and only the
// changed one travels.
TEST_F(Resume, ATargetWrittenSinceTheRecordIsVerified)
{
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	deploy_completely(seeder);
	if (HasFatalFailure()) return;
	fill_pattern(m_target, 40 * mib + 123, 1, 99);
	std::string log;
	EXPECT_EQ(deploy_again(seeder, "leecher-after-dd", &log), piece_length);
	EXPECT_NE(log.find("the target was written after the record"), std::string::npos) << log;
	EXPECT_NE(log.find("63 of the 64 pieces its resume record claimed"), std::string::npos) << log;
	EXPECT_EQ(seeder.shutdown(), 0);
}

// After a reboot nothing in a record is known to be on the disk: its pieces
// are verified, and a target that holds them costs nothing.
TEST_F(Resume, ARecordFromAnotherBootIsVerified)
{
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	deploy_completely(seeder);
	if (HasFatalFailure()) return;
	edit_record([](lt::entry& record) {
		std::string& stamp = record["ezio-stamp"].string();
		stamp.replace(0, stamp.find(';'), "boot=another-boot");
	});
	std::string log;
	EXPECT_EQ(deploy_again(seeder, "leecher-rebooted", &log), 0);
	EXPECT_NE(log.find("the record is from another boot"), std::string::npos) << log;
	EXPECT_NE(log.find("64 of the 64 pieces its resume record claimed"), std::string::npos) << log;
	EXPECT_EQ(seeder.shutdown(), 0);
}

// A record that asks for nothing (every piece and file at priority 0, seed
// mode on, no pieces) cannot make a torrent finished with nothing on the
// target: only its piece bitmap is read.
TEST_F(Resume, AHandEditedRecordCannotFinishATorrentEarly)
{
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	deploy_completely(seeder);
	if (HasFatalFailure()) return;
	create_sparse_file(m_target, num_pieces * mib);  // the data is gone, the inode stays
	edit_record([](lt::entry& record) {
		record["pieces"] = std::string(num_pieces, '\0');
		record["piece_priority"] = std::string(num_pieces, '\0');
		record["file_priority"] = lt::entry::list_type{lt::entry(0)};
		record["seed_mode"] = 1;
	});
	EXPECT_EQ(deploy_again(seeder, "leecher-edited"), num_pieces * mib);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// On a block device the write stamp is the kernel's sector counters: a
// clean restart trusts the record (nothing is hashed, nothing travels), and
// a write to the device since (dd) has the record verified.
TEST_F(Resume, ABlockDeviceTargetIsTrustedUntilSomebodyWritesIt)
{
	LoopDevice const device(m_target);
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	std::string log;
	EXPECT_EQ(deploy_to(device.path(), seeder, "leecher"), num_pieces * mib);
	EXPECT_EQ(deploy_to(device.path(), seeder, "leecher-again", &log), 0);
	EXPECT_NE(log.find("resumes: 64 of 64 pieces are already on the target"), std::string::npos) << log;
	EXPECT_EQ(log.find("not trusted"), std::string::npos) << log;

	fill_pattern(device.path(), 40 * mib + 123, 1, 99);  // buffered, as dd does
	EXPECT_EQ(deploy_to(device.path(), seeder, "leecher-after-dd", &log), piece_length);
	EXPECT_NE(log.find("the target was written after the record"), std::string::npos) << log;
	EXPECT_EQ(seeder.shutdown(), 0);
}

// Another medium behind the same device node (a fresh, zeroed file attached
// to the same loop device once picked up the last run's record and seeded
// zeros): the device number and size match, the disk sequence number does
// not, so the record is verified and everything is fetched.
TEST_F(Resume, AnotherMediumBehindTheSameDeviceIsVerified)
{
	TestDaemon seeder(m_dir, "seeder");
	ASSERT_TRUE(seeder.add(m_torrent, m_source, true).ok());
	std::string device_path;
	{
		LoopDevice const device(m_target);
		device_path = device.path();
		EXPECT_EQ(deploy_to(device_path, seeder, "leecher"), num_pieces * mib);
	}
	std::string const fresh = m_dir.file("fresh.img");
	create_sparse_file(fresh, num_pieces * mib);
	// The same node again (tests running beside this one may take loop
	// devices too: ask for this one by name).
	std::unique_ptr<LoopDevice> device;
	try {
		device = std::make_unique<LoopDevice>(fresh, false, device_path);
	} catch (std::runtime_error const& e) {
		GTEST_SKIP() << device_path << " was taken meanwhile: " << e.what();
	}
	std::string log;
	EXPECT_EQ(deploy_to(device_path, seeder, "leecher-fresh", &log), num_pieces * mib);
	EXPECT_NE(log.find("0 of the 64 pieces its resume record claimed"), std::string::npos) << log;
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
