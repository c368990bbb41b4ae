#include "api/torrent_phase.hpp"

#include <gtest/gtest.h>

namespace ezio::api {
namespace {

TorrentStatus status(TorrentState state, std::int64_t done, std::int64_t total)
{
	TorrentStatus t;
	t.state = state;
	t.total_done = done;
	t.total = total;
	return t;
}

TEST(TorrentPhase, FromLibtorrentsStateAndTheDurabilityGate)
{
	EXPECT_EQ(torrent_phase(status(TorrentState::checking_files, 0, 100)), "checking");
	EXPECT_EQ(torrent_phase(status(TorrentState::checking_resume_data, 0, 100)), "checking");
	EXPECT_EQ(torrent_phase(status(TorrentState::downloading, 50, 100)), "downloading");
	// Every piece, but not synced yet: not finished.
	EXPECT_EQ(torrent_phase(status(TorrentState::seeding, 100, 100)), "syncing");

	TorrentStatus done = status(TorrentState::seeding, 100, 100);
	done.is_finished = true;
	EXPECT_EQ(torrent_phase(done), "finished");
	done.total_payload_upload = 1;
	EXPECT_EQ(torrent_phase(done), "seeding");

	done.is_paused = true;
	EXPECT_EQ(torrent_phase(done), "paused");
	done.error = "EIO";
	EXPECT_EQ(torrent_phase(done), "error");
}

TEST(TorrentPhase, EtaOnlyWhileDownloadingWithARate)
{
	TorrentStatus t = status(TorrentState::downloading, 40, 100);
	EXPECT_EQ(eta_seconds(t), -1);
	t.download_rate = 7;
	EXPECT_EQ(eta_seconds(t), 9);  // 60 bytes at 7 B/s, rounded up
	t.is_paused = true;
	EXPECT_EQ(eta_seconds(t), -1);
}

}  // namespace
}  // namespace ezio::api
