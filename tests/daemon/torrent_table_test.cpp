// The torrent table's rules, without a session: what the control plane is
// told (finished only through the durability gate, the gate's error first)
// and the three steps of adding a torrent (a finished alert that comes
// before the record is not lost).
#include "daemon/torrent_table.hpp"

#include <gtest/gtest.h>

#include "common/hex.hpp"

namespace ezio::daemon {
namespace {

lt::sha1_hash hash_of(char c)
{
	lt::sha1_hash h;
	std::fill(h.begin(), h.end(), c);
	return h;
}

lt::torrent_status seeding_status(lt::sha1_hash const& info_hash)
{
	lt::torrent_status st;
	st.info_hashes.v1 = info_hash;
	st.is_seeding = true;
	st.state = lt::torrent_status::seeding;
	return st;
}

TorrentRecord downloading_record()
{
	TorrentRecord r;
	r.writes_target = true;
	r.gate = FinishGate(false);
	return r;
}

TEST(TorrentStatusRules, EveryPieceIsNotFinishedUntilTheGateSaysSo)
{
	auto const st = seeding_status(hash_of('a'));
	TorrentRecord r = downloading_record();
	EXPECT_FALSE(make_status(st, &r, {}).is_finished) << "hashed is not synced";
	ASSERT_TRUE(r.gate.start_finishing());
	EXPECT_FALSE(make_status(st, &r, {}).is_finished) << "the finishing sync is still running";
	r.gate.finishing_synced(Ok{});
	EXPECT_TRUE(make_status(st, &r, {}).is_finished);

	lt::torrent_status wanted_only = st;
	wanted_only.is_seeding = false;  // every wanted piece, not every piece
	wanted_only.state = lt::torrent_status::finished;
	EXPECT_FALSE(make_status(wanted_only, &r, {}).is_finished);
}

TEST(TorrentStatusRules, ATorrentTheDaemonDoesNotKnowIsNeverFinished)
{
	EXPECT_FALSE(make_status(seeding_status(hash_of('b')), nullptr, {}).is_finished);
}

TEST(TorrentStatusRules, AFailedSyncIsTheErrorAndNotFinished)
{
	auto st = seeding_status(hash_of('c'));
	st.errc = lt::errors::make_error_code(lt::errors::file_collision);
	TorrentRecord r = downloading_record();
	r.file_error = "write of 'disk' failed: No space left on device";
	EXPECT_EQ(make_status(st, &r, {}).error, r.file_error) << "the disk error beats libtorrent's code";
	r.gate.fail("fdatasync of the target failed: Input/output error");
	auto const t = make_status(st, &r, {});
	EXPECT_EQ(t.error, "fdatasync of the target failed: Input/output error");
	EXPECT_FALSE(t.is_finished);
}

TEST(TorrentStatusRules, ASeedIsFinishedFromTheStart)
{
	TorrentRecord r;
	r.gate = FinishGate(true);
	EXPECT_TRUE(make_status(seeding_status(hash_of('d')), &r, {}).is_finished);
}

TEST(TorrentStatusRules, APieceThatKeepsFailingIsAWarningThatNamesWhoHasIt)
{
	EXPECT_EQ(piece_warning(lt::piece_index_t{3}, 4, {"10.0.0.1:6881"}, {}),
		"piece 3 failed its hash 4 times; the only connected peer that has it is 10.0.0.1:6881");
	EXPECT_EQ(piece_warning(lt::piece_index_t{3}, 3, {"10.0.0.1:6881", "10.0.0.2:6881"}, {}),
		"piece 3 failed its hash 3 times; the connected peers that have it are 10.0.0.1:6881, 10.0.0.2:6881");
	EXPECT_EQ(piece_warning(lt::piece_index_t{0}, 1, {}, {"10.0.0.9:6881"}),
		"piece 0 failed its hash 1 time; no connected peer has it now; banned for sending bad data: 10.0.0.9:6881");

	TorrentRecord record = downloading_record();
	record.warning = "piece 3 failed its hash 4 times";
	lt::torrent_status st = seeding_status(hash_of('w'));
	st.is_seeding = false;
	auto const status = make_status(st, &record, lt::clock_type::now());
	EXPECT_EQ(status.warning, record.warning);
	EXPECT_TRUE(status.error.empty()) << "a warning does not stop the torrent";
}

TEST(TorrentTable, AddingIsThreeStepsAndADuplicateIsRefused)
{
	TorrentTable table;
	auto const h = hash_of('e');
	EXPECT_FALSE(table.has(h));
	ASSERT_TRUE(table.begin_add(h, "image"));
	EXPECT_TRUE(table.has(h)) << "the tracker must know it before its first announce";
	table.abort_add();
	EXPECT_FALSE(table.has(h));

	ASSERT_TRUE(table.begin_add(h, "image"));
	EXPECT_FALSE(table.finish_add(h, downloading_record()));
	EXPECT_TRUE(table.has(h));
	auto const again = table.begin_add(h, "image");
	ASSERT_FALSE(again);
	EXPECT_EQ(again.error_code(), Errc::already_exists);
}

TEST(TorrentTable, AFinishedAlertBeforeTheRecordIsHandedToFinishAdd)
{
	TorrentTable table;
	auto const h = hash_of('f');
	ASSERT_TRUE(table.begin_add(h, "image"));
	bool ran = false;
	EXPECT_FALSE(table.with_or_finished_early(h, [&](TorrentRecord&) { ran = true; }));
	EXPECT_FALSE(ran);
	EXPECT_TRUE(table.finish_add(h, downloading_record())) << "the finish must not be lost";
	EXPECT_TRUE(table.with_or_finished_early(h, [&](TorrentRecord&) { ran = true; }));
	EXPECT_TRUE(ran);
}

TEST(TorrentTable, AFinishedAlertOfAnEarlierAddDoesNotCarryOver)
{
	TorrentTable table;
	auto const h = hash_of('0');
	table.with_or_finished_early(h, [](TorrentRecord&) {});  // a torrent removed before
	ASSERT_TRUE(table.begin_add(h, "image"));
	EXPECT_FALSE(table.finish_add(h, downloading_record()));
}

TEST(TorrentTable, StatusListsTheWantedTorrentsOnly)
{
	TorrentTable table;
	ASSERT_TRUE(table.begin_add(hash_of('1'), "one"));
	table.finish_add(hash_of('1'), downloading_record());
	std::vector<lt::torrent_status> const statuses{seeding_status(hash_of('1')), seeding_status(hash_of('2'))};
	EXPECT_EQ(table.status(statuses, {}).size(), 2u);
	auto const one = table.status(statuses, {to_hex(hash_of('2'))});
	ASSERT_EQ(one.size(), 1u);
	EXPECT_FALSE(one[0].is_finished);
	EXPECT_EQ(table.status(statuses, {"not-a-hash", to_hex(hash_of('1'))}).size(), 1u);
	EXPECT_TRUE(table.status(statuses, {"not-a-hash"}).empty()) << "a list that names nothing selects nothing";
}

TEST(TorrentTable, WaitingForDurableRecordsEndsAtTheDeadline)
{
	TorrentTable table;
	auto const h = hash_of('3');
	ASSERT_TRUE(table.begin_add(h, "image"));
	table.finish_add(h, downloading_record());
	auto const soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
	EXPECT_TRUE(table.wait_for_durable_records(soon)) << "none pending";
	table.with(h, [](TorrentRecord& r) { ASSERT_TRUE(r.resume.want(true)); });
	EXPECT_FALSE(table.wait_for_durable_records(std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
	table.with(h, [](TorrentRecord& r) { r.resume.done({}); });
	table.notify_resume_done();
	EXPECT_TRUE(table.wait_for_durable_records(std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
}

}  // namespace
}  // namespace ezio::daemon
