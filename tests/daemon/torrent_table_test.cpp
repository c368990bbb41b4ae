// The torrent table's rules, without a session: what the control plane is
// told (finished only through the durability gate, the gate's error first)
// and the three steps of adding a torrent.
#include "daemon/torrent_table.hpp"

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>

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
	return r;
}

TEST(TorrentStatusRules, EveryPieceIsNotFinishedUntilTheGateSaysSo)
{
	auto const st = seeding_status(hash_of('a'));
	TorrentRecord r = downloading_record();
	FinishGate gate(false);
	EXPECT_FALSE(make_status(st, &r, &gate, {}).is_finished) << "hashed is not synced";
	ASSERT_TRUE(gate.start_finishing());
	EXPECT_FALSE(make_status(st, &r, &gate, {}).is_finished) << "the finishing sync is still running";
	gate.finishing_synced(Ok{});
	EXPECT_TRUE(make_status(st, &r, &gate, {}).is_finished);
	EXPECT_FALSE(make_status(st, &r, nullptr, {}).is_finished) << "no gate, not finished";

	lt::torrent_status wanted_only = st;
	wanted_only.is_seeding = false;  // every wanted piece, not every piece
	wanted_only.state = lt::torrent_status::finished;
	EXPECT_FALSE(make_status(wanted_only, &r, &gate, {}).is_finished);
}

TEST(TorrentStatusRules, ATorrentTheDaemonDoesNotKnowIsNeverFinished)
{
	FinishGate const seed(true);
	EXPECT_FALSE(make_status(seeding_status(hash_of('b')), nullptr, &seed, {}).is_finished);
}

TEST(TorrentStatusRules, AFailedSyncIsTheErrorAndNotFinished)
{
	auto st = seeding_status(hash_of('c'));
	st.errc = lt::errors::make_error_code(lt::errors::file_collision);
	TorrentRecord r = downloading_record();
	FinishGate gate(false);
	r.file_error = "write of 'disk' failed: No space left on device";
	EXPECT_EQ(make_status(st, &r, &gate, {}).error, r.file_error) << "the disk error beats libtorrent's code";
	gate.fail("fdatasync of the target failed: Input/output error");
	auto const t = make_status(st, &r, &gate, {});
	EXPECT_EQ(t.error, "fdatasync of the target failed: Input/output error");
	EXPECT_FALSE(t.is_finished);
}

// A status taken after libtorrent stopped the torrent but before the alert
// thread handled its file_error_alert still says which file failed (seen
// in CI: the error was only "the chunk does not decode ...").
TEST(TorrentStatusRules, ADiskErrorNamesTheFileBeforeItsAlertIsHandled)
{
	lt::file_storage files;
	files.add_file("sda1/0000000000000000", 16 << 10);
	files.add_file("sda1/0000000000004000", 16 << 10);
	lt::create_torrent ct(files, 16 << 10, lt::create_torrent::v1_only);
	ct.set_hash(lt::piece_index_t(0), lt::sha1_hash("aaaaaaaaaaaaaaaaaaaa"));
	ct.set_hash(lt::piece_index_t(1), lt::sha1_hash("bbbbbbbbbbbbbbbbbbbb"));
	std::vector<char> buffer;
	lt::bencode(std::back_inserter(buffer), ct.generate());

	auto st = seeding_status(hash_of('e'));
	st.is_seeding = false;
	st.errc = lt::errors::make_error_code(lt::errors::file_collision);
	st.error_file = lt::file_index_t(1);
	st.save_path = "/mnt/fence";
	TorrentRecord r = downloading_record();
	r.info = std::make_shared<lt::torrent_info const>(buffer, lt::from_span);
	r.save_path = "/dev/sdb";
	FinishGate gate(false);
	EXPECT_EQ(make_status(st, &r, &gate, {}).error,
		"'/dev/sdb/sda1/0000000000004000' failed: " + st.errc.message()) << "the path AddTorrent named";
	st.error_file = lt::torrent_status::error_file_exception;
	EXPECT_EQ(make_status(st, &r, &gate, {}).error, st.errc.message()) << "no file to name";
	r.file_error = "file_write of '/dev/sdb/sda1/0000000000004000' failed: the chunk does not decode";
	EXPECT_EQ(make_status(st, &r, &gate, {}).error, r.file_error) << "the alert's words, once handled";
}

TEST(TorrentStatusRules, ASeedIsFinishedFromTheStart)
{
	TorrentRecord r;
	FinishGate const seed(true);
	EXPECT_TRUE(make_status(seeding_status(hash_of('d')), &r, &seed, {}).is_finished);
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
	FinishGate const gate(false);
	auto const status = make_status(st, &record, &gate, lt::clock_type::now());
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
	table.finish_add(h, downloading_record());
	EXPECT_TRUE(table.has(h));
	auto const again = table.begin_add(h, "image");
	ASSERT_FALSE(again);
	EXPECT_EQ(again.error_code(), Errc::already_exists);
}

TEST(TorrentTable, StatusListsTheWantedTorrentsOnly)
{
	TorrentTable table;
	ASSERT_TRUE(table.begin_add(hash_of('1'), "one"));
	table.finish_add(hash_of('1'), downloading_record());
	ASSERT_TRUE(table.begin_add(hash_of('2'), "two"));
	table.finish_add(hash_of('2'), downloading_record());
	std::vector<lt::torrent_status> const statuses{seeding_status(hash_of('1')), seeding_status(hash_of('2'))};
	std::map<lt::sha1_hash, FinishGate> const gates{{hash_of('1'), FinishGate(true)}};
	EXPECT_EQ(table.status(statuses, {}, gates).size(), 2u);
	auto const one = table.status(statuses, {to_hex(hash_of('2'))}, gates);
	ASSERT_EQ(one.size(), 1u);
	EXPECT_FALSE(one[0].is_finished);
	auto const known = table.status(statuses, {"not-a-hash", to_hex(hash_of('1'))}, gates);
	ASSERT_EQ(known.size(), 1u);
	EXPECT_TRUE(known[0].is_finished) << "the gate it was given decides";
	EXPECT_TRUE(table.status(statuses, {"not-a-hash"}, gates).empty()) << "a list that names nothing selects nothing";
}

TEST(TorrentTable, ACompanionIsNotShownAndLendsItsProgressToItsTorrent)
{
	TorrentTable table;
	ASSERT_TRUE(table.begin_add(hash_of('t'), "sda1"));
	table.finish_add(hash_of('t'), downloading_record());
	lt::torrent_status t = seeding_status(hash_of('t'));
	t.progress = 0.0f;
	t.progress_ppm = 0;
	lt::torrent_status c = seeding_status(hash_of('c'));  // no record: a companion
	c.progress = 0.25f;
	c.progress_ppm = 250000;
	t.total_payload_upload = 1000;
	c.total_payload_upload = 2 << 20;
	c.upload_payload_rate = 300000;
	c.last_upload = lt::clock_type::now();
	std::vector<lt::torrent_status> const statuses{t, c};
	auto const plain = table.status(statuses, {}, {});
	ASSERT_EQ(plain.size(), 1u) << "the companion is the torrent's business, not the control plane's";
	EXPECT_EQ(plain[0].progress, 0.0f);
	auto const riding = table.status(statuses, {}, {}, {{hash_of('t'), {hash_of('c'), true}}});
	ASSERT_EQ(riding.size(), 1u);
	EXPECT_EQ(riding[0].hash, to_hex(hash_of('t')));
	EXPECT_FLOAT_EQ(riding[0].progress, 0.25f);
	EXPECT_EQ(riding[0].total_payload_upload, t.total_payload_upload + c.total_payload_upload);
	// Done writing (T verified on its own): T's progress is T's, and what
	// its companion uploads still counts as T's (Clonezilla's watcher
	// pauses a torrent that has uploaded nothing for 15 s).
	auto const seeding = table.status(statuses, {}, {}, {{hash_of('t'), {hash_of('c'), false}}});
	ASSERT_EQ(seeding.size(), 1u);
	EXPECT_EQ(seeding[0].progress, 0.0f);
	EXPECT_EQ(seeding[0].total_payload_upload, t.total_payload_upload + c.total_payload_upload);
	EXPECT_EQ(seeding[0].upload_rate, t.upload_payload_rate + c.upload_payload_rate);
	EXPECT_EQ(seeding[0].last_upload, 0) << "the companion uploaded just now";
}

}  // namespace
}  // namespace ezio::daemon
