// The resume rules (docs/resume.md) on the store alone: which record is
// used, when its pieces count as they are, and what a hostile record can do
// (nothing but claim pieces that are then verified).
#include "daemon/resume_store.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

#include "support/fake_env.hpp"
#include "support/scratch_dir.hpp"

namespace ezio::daemon {
namespace {

constexpr int pieces = 16;

class ResumeStoreTest : public ::testing::Test {
protected:

	static lt::sha1_hash hash_of(char c)
	{
		lt::sha1_hash h;
		std::fill(h.begin(), h.end(), c);
		return h;
	}

	static lt::add_torrent_params params_with(lt::sha1_hash const& hash, std::vector<int> const& have)
	{
		lt::add_torrent_params p;
		p.info_hashes.v1 = hash;
		p.have_pieces.resize(pieces, false);
		for (int i : have) p.have_pieces.set_bit(lt::piece_index_t(i));
		return p;
	}

	std::vector<std::string> files() const
	{
		std::vector<std::string> names;
		for (auto const& e : std::filesystem::directory_iterator(m_dir)) names.push_back(e.path().filename());
		std::sort(names.begin(), names.end());
		return names;
	}

	test::ScratchDir m_scratch;
	std::string const m_dir = m_scratch.path();
	TargetKey const m_target{"/dev/loop7", 0x0707, 0, 64 << 20};
	std::string const m_stamp = "boot=b1;block=w=1/8/0/0;disk-w=1/8/0/0;seq=3";
};

TEST_F(ResumeStoreTest, AnUnchangedTargetTrustsTheRecord)
{
	ResumeStore store(m_dir);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {0, 3, 15}), m_target, m_stamp, true).has_value());
	auto const claim = store.load(hash_of('a'), pieces, m_target, m_stamp);
	ASSERT_TRUE(claim);
	EXPECT_TRUE(claim->trusted);
	EXPECT_EQ(claim->have.count(), 3);
	EXPECT_TRUE(claim->have[lt::piece_index_t(15)]);
	EXPECT_EQ(claim->have.size(), pieces);
}

TEST_F(ResumeStoreTest, AChangedStampMeansVerifyAndSaysWhy)
{
	ResumeStore store(m_dir);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1, 2}), m_target, m_stamp, true).has_value());

	auto written = store.load(hash_of('a'), pieces, m_target, "boot=b1;block=w=9/80/0/0;disk-w=9/80/0/0;seq=3");
	ASSERT_TRUE(written);
	EXPECT_FALSE(written->trusted);
	EXPECT_EQ(written->have.count(), 2);
	EXPECT_EQ(written->why_verify, "the target was written after the record");

	auto rebooted = store.load(hash_of('a'), pieces, m_target, "boot=b2;block=w=1/8/0/0;disk-w=1/8/0/0;seq=3");
	ASSERT_TRUE(rebooted);
	EXPECT_FALSE(rebooted->trusted);
	EXPECT_EQ(rebooted->why_verify, "the record is from another boot");

	auto unknown = store.load(hash_of('a'), pieces, m_target, "");
	ASSERT_TRUE(unknown);
	EXPECT_FALSE(unknown->trusted) << "an unreadable stamp must never match";
}

TEST_F(ResumeStoreTest, ARecordWithoutStampIsNeverTrusted)
{
	ResumeStore store(m_dir);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, "", true).has_value());
	auto const claim = store.load(hash_of('a'), pieces, m_target, "");
	ASSERT_TRUE(claim);
	EXPECT_FALSE(claim->trusted);
}

TEST_F(ResumeStoreTest, ARecordIsForItsTargetOnly)
{
	ResumeStore store(m_dir);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true).has_value());
	TargetKey other = m_target;
	other.size += 1;
	EXPECT_FALSE(store.load(hash_of('a'), pieces, other, m_stamp));
	EXPECT_FALSE(store.load(hash_of('b'), pieces, m_target, m_stamp));
}

TEST_F(ResumeStoreTest, ATrustedRecordBeatsAClaimToVerify)
{
	ResumeStore store(m_dir);
	// The volatile record claims more, but the target changed after it.
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1, 2, 3}), m_target, "boot=b1;old", false).has_value());
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true).has_value());
	auto const claim = store.load(hash_of('a'), pieces, m_target, m_stamp);
	ASSERT_TRUE(claim);
	EXPECT_TRUE(claim->trusted);
	EXPECT_EQ(claim->have.count(), 1);
}

TEST_F(ResumeStoreTest, WritingATargetDeletesOtherTorrentsRecordsForIt)
{
	ResumeStore store(m_dir);
	TargetKey elsewhere{"/dev/loop6", 0x0706, 0, 64 << 20};
	TargetKey renamed = m_target;
	renamed.path = "/dev/disk/by-id/the-same-disk";
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true).has_value());
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, false).has_value());
	ASSERT_TRUE(store.save(params_with(hash_of('b'), {1}), renamed, m_stamp, true).has_value());
	ASSERT_TRUE(store.save(params_with(hash_of('c'), {1}), elsewhere, m_stamp, true).has_value());

	EXPECT_EQ(store.claim_target(hash_of('b'), renamed), 2);  // a's two records, found by device
	EXPECT_FALSE(store.load(hash_of('a'), pieces, m_target, m_stamp));
	EXPECT_TRUE(store.load(hash_of('b'), pieces, renamed, m_stamp)) << "its own record stays";
	EXPECT_TRUE(store.load(hash_of('c'), pieces, elsewhere, m_stamp)) << "another target's record stays";
}

TEST_F(ResumeStoreTest, OnlyThePieceBitmapOfARecordIsUsed)
{
	// A record that asks for nothing (every piece at priority 0, seed mode)
	// claims nothing: it cannot make a torrent finished early.
	ResumeStore store(m_dir);
	lt::add_torrent_params p = params_with(hash_of('a'), {});
	p.piece_priorities.assign(pieces, lt::dont_download);
	p.flags |= lt::torrent_flags::seed_mode;
	ASSERT_TRUE(store.save(p, m_target, m_stamp, true).has_value());
	EXPECT_FALSE(store.load(hash_of('a'), pieces, m_target, m_stamp));
}

TEST_F(ResumeStoreTest, SavingLeavesNoTemporaryFiles)
{
	ResumeStore store(m_dir);
	for (int i = 0; i < 3; ++i)
		ASSERT_TRUE(store.save(params_with(hash_of('a'), {i}), m_target, m_stamp, i % 2 == 0).has_value());
	std::string prefix;
	for (int i = 0; i < 20; ++i) prefix += "61";  // hex of hash_of('a')
	EXPECT_EQ(files(), (std::vector<std::string>{prefix + ".durable", prefix + ".volatile", "lock"}));
}

TEST_F(ResumeStoreTest, ASecondStoreOnTheSameDirectoryIsRefused)
{
	ResumeStore first(m_dir);
	try {
		ResumeStore second(m_dir);
		FAIL() << "two stores share " << m_dir;
	} catch (std::runtime_error const& e) {
		EXPECT_NE(std::string(e.what()).find(m_dir), std::string::npos) << e.what();
	}
}

TEST(ParseRecord, RefusesWhatIsNotARecordOfTheTorrent)
{
	lt::sha1_hash hash;
	std::fill(hash.begin(), hash.end(), 'a');
	auto const encode = [](lt::entry const& e) {
		std::string out;
		lt::bencode(std::back_inserter(out), e);
		return out;
	};
	lt::entry good;
	good["info-hash"] = std::string(20, 'a');
	good["ezio-target-path"] = "/dev/sdb1";
	good["ezio-target-device"] = 0x0811;
	good["ezio-target-inode"] = 0;
	good["ezio-target-size"] = 1 << 30;
	good["pieces"] = std::string("\x01\x00\x01", 3);
	auto const parsed = parse_record(encode(good), hash, 8);
	ASSERT_TRUE(parsed);
	EXPECT_EQ(parsed->have.size(), 8) << "a short bitmap is padded with pieces not had";
	EXPECT_EQ(parsed->have.count(), 2);

	EXPECT_FALSE(parse_record(encode(good), hash, 2)) << "more pieces than the torrent has";
	lt::sha1_hash other = hash;
	other[0] = 'b';
	EXPECT_FALSE(parse_record(encode(good), other, 8));
	for (char const* field : {"info-hash", "ezio-target-path", "ezio-target-device", "ezio-target-size"}) {
		lt::entry broken = good;
		broken.dict().erase(field);
		EXPECT_FALSE(parse_record(encode(broken), hash, 8)) << "without " << field;
	}
	lt::entry negative = good;
	negative["ezio-target-size"] = -1;
	EXPECT_FALSE(parse_record(encode(negative), hash, 8));
	EXPECT_FALSE(parse_record("", hash, 8));
	EXPECT_FALSE(parse_record("li1ee", hash, 8));
	EXPECT_FALSE(parse_record(std::string(200, 'l'), hash, 8)) << "nesting past the depth limit";
}

// What is durable, through an Env that fails on request (docs/resume.md):
// a record that could not be made durable is reported, the one before it
// stays, and nothing half-written is left for the next start to read.
class ResumeStoreDurabilityTest : public ResumeStoreTest {
protected:
	using Op = test::FakeEnv::Op;

	std::vector<Op> ops() const
	{
		std::vector<Op> out;
		for (auto const& call : m_env.calls()) out.push_back(call.op);
		return out;
	}

	test::FakeEnv m_env;
};

TEST_F(ResumeStoreDurabilityTest, ADurableRecordIsSyncedThenRenamedThenItsDirectorySynced)
{
	ResumeStore store(m_dir, m_env);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true).has_value());
	EXPECT_EQ(ops(), (std::vector<Op>{Op::write_synced, Op::rename, Op::sync_directory}));
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1, 2}), m_target, m_stamp, false).has_value());
	EXPECT_EQ(ops().size(), 5u) << "a volatile record is written and renamed, never synced";
	EXPECT_EQ(ops()[3], Op::write);
}

TEST_F(ResumeStoreDurabilityTest, AFailedSyncKeepsTheRecordBeforeAndLeavesNoTemporary)
{
	ResumeStore store(m_dir, m_env);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true).has_value());
	for (Op const op : {Op::write_synced, Op::rename}) {
		m_env.fail(op);
		auto const saved = store.save(params_with(hash_of('a'), {1, 2, 3}), m_target, m_stamp, true);
		ASSERT_FALSE(saved.has_value());
		EXPECT_EQ(saved.error_code(), Errc::io);
		auto const claim = store.load(hash_of('a'), pieces, m_target, m_stamp);
		ASSERT_TRUE(claim);
		EXPECT_EQ(claim->have.count(), 1) << "the record before the failure, untouched";
		for (auto const& name : files()) EXPECT_FALSE(name.ends_with(".tmp")) << name;
		m_env.heal();
	}
}

TEST_F(ResumeStoreDurabilityTest, AFailedDirectorySyncIsReported)
{
	ResumeStore store(m_dir, m_env);
	m_env.fail(Op::sync_directory);
	auto const saved = store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true);
	ASSERT_FALSE(saved.has_value()) << "the rename may not survive a crash: the record is not durable";
	EXPECT_EQ(saved.error_code(), Errc::io);
}

TEST_F(ResumeStoreDurabilityTest, AFailedDeletionIsReported)
{
	ResumeStore store(m_dir, m_env);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, false).has_value());
	m_env.fail(Op::remove);
	EXPECT_FALSE(store.forget(hash_of('a'), false).has_value()) << "the caller must know the claim is still there";
	m_env.heal();
	EXPECT_TRUE(store.forget(hash_of('a'), false).has_value());
	EXPECT_FALSE(store.load(hash_of('a'), pieces, m_target, m_stamp));
	EXPECT_TRUE(store.forget(hash_of('a'), false).has_value()) << "a record that is not there is forgotten";
}

TEST_F(ResumeStoreDurabilityTest, ClaimingATargetSyncsTheDeletions)
{
	ResumeStore store(m_dir, m_env);
	ASSERT_TRUE(store.save(params_with(hash_of('a'), {1}), m_target, m_stamp, true).has_value());
	auto const before = m_env.calls().size();
	EXPECT_EQ(store.claim_target(hash_of('b'), m_target), 1);
	auto const calls = m_env.calls();
	ASSERT_EQ(calls.size(), before + 2);
	EXPECT_EQ(calls[before].op, Op::remove);
	EXPECT_EQ(calls[before + 1], (test::FakeEnv::Call{Op::sync_directory, m_dir}))
		<< "a deletion that a crash can undo would bring the stale claim back";
}

}  // namespace
}  // namespace ezio::daemon
