#include "cli/auto_stop.hpp"

#include <gtest/gtest.h>

namespace ezio::cli {
namespace {

constexpr std::int64_t size = 1000;

Torrent finished(std::int64_t uploaded, std::int64_t finished_for, std::int64_t last_upload)
{
	Torrent t;
	t.set_hash("aa");
	t.set_is_finished(true);
	t.set_total(size);
	t.set_total_payload_upload(uploaded);
	t.set_finished_time(finished_for);
	t.set_last_upload(last_upload);
	return t;
}

AutoStopPolicy policy()
{
	AutoStopPolicy p;
	p.ratio = 3;
	p.wait = std::chrono::seconds(90);
	p.idle = std::chrono::seconds(15);
	return p;
}

TEST(AutoStop, PausesAfterThreeTimesItsSize)
{
	EXPECT_EQ(pause_reason(finished(2999, 1, 0), policy()), "");
	EXPECT_NE(pause_reason(finished(3000, 1, 0), policy()), "");
}

TEST(AutoStop, PausesAfterTheWaitWithoutRecentUpload)
{
	EXPECT_EQ(pause_reason(finished(0, 89, -1), policy()), "") << "not finished long enough";
	EXPECT_NE(pause_reason(finished(0, 90, -1), policy()), "") << "never uploaded";
	EXPECT_EQ(pause_reason(finished(10, 200, 14), policy()), "") << "still uploading";
	EXPECT_NE(pause_reason(finished(10, 200, 15), policy()), "");
}

TEST(AutoStop, LeavesUnfinishedPausedAndFailedTorrents)
{
	Torrent downloading = finished(5000, 500, -1);
	downloading.set_is_finished(false);
	EXPECT_EQ(pause_reason(downloading, policy()), "");

	Torrent paused = finished(5000, 500, -1);
	paused.set_is_paused(true);
	EXPECT_EQ(pause_reason(paused, policy()), "");

	Torrent failed = finished(5000, 500, -1);
	failed.set_error("fdatasync failed");
	EXPECT_EQ(pause_reason(failed, policy()), "");
}

TEST(AutoStop, ADaemonIsDoneWhenEveryTorrentSettled)
{
	UpdateStatus status;
	EXPECT_FALSE(daemon_done(status)) << "no torrents yet: nothing to stop";

	Torrent a = finished(0, 0, -1);
	(*status.mutable_torrents())["a"] = a;
	EXPECT_FALSE(daemon_done(status));

	a.set_is_paused(true);
	(*status.mutable_torrents())["a"] = a;
	EXPECT_TRUE(daemon_done(status));
	EXPECT_FALSE(any_error(status));

	Torrent b;
	b.set_error("Input/output error");
	(*status.mutable_torrents())["b"] = b;
	EXPECT_TRUE(daemon_done(status));
	EXPECT_TRUE(any_error(status));

	Torrent c;  // still downloading
	(*status.mutable_torrents())["c"] = c;
	EXPECT_FALSE(daemon_done(status));
}

}  // namespace
}  // namespace ezio::cli
