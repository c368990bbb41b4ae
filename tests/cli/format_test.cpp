#include "cli/format.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ezio::cli {
namespace {

TEST(Format, HumanUnits)
{
	EXPECT_EQ(human_bytes(12), "12 B");
	EXPECT_EQ(human_bytes(1536), "1.5 KiB");
	EXPECT_EQ(human_bytes(3.0 * (1 << 30)), "3.0 GiB");
	EXPECT_EQ(human_duration(7), "0:07");
	EXPECT_EQ(human_duration(125), "2:05");
	EXPECT_EQ(human_duration(3723), "1:02:03");
}

TEST(Format, WatchLineShowsProgressRateEtaAndErrors)
{
	Torrent t;
	t.set_name("sda1");
	t.set_progress(0.5);
	t.set_total(200 << 20);
	t.set_total_done(100 << 20);
	t.set_download_rate(10 << 20);
	t.set_num_peers(3);
	t.set_state(3);
	std::string const line = watch_line(t);
	EXPECT_NE(line.find("[##########..........]"), std::string::npos) << line;
	EXPECT_NE(line.find(" 50.0%"), std::string::npos) << line;
	EXPECT_NE(line.find("10.0 MiB/s"), std::string::npos) << line;
	EXPECT_NE(line.find("ETA 0:10"), std::string::npos) << line;
	EXPECT_NE(line.find("downloading"), std::string::npos) << line;

	t.set_error("fdatasync of the target failed: Input/output error");
	EXPECT_NE(watch_line(t).find("error: fdatasync"), std::string::npos);
}

TEST(Format, JsonHasEveryField)
{
	UpdateStatus status;
	Torrent t;
	t.set_hash("ab");
	t.set_name("sda1");
	t.set_is_finished(true);
	t.set_state(5);
	t.set_last_upload(-1);
	status.add_hashes("ab");
	(*status.mutable_torrents())["ab"] = t;
	auto const j = nlohmann::json::parse(status_json(status));
	ASSERT_EQ(j.size(), 1u);
	EXPECT_EQ(j[0]["name"], "sda1");
	EXPECT_EQ(j[0]["is_finished"], true);
	EXPECT_EQ(j[0]["state"], "seeding");
	EXPECT_EQ(j[0]["last_upload"], -1);
	EXPECT_EQ(j[0].size(), 26u);
}

TEST(Format, TheTableShowsTheSizeOnDiskAndAChunkedTorrentsBytesOnTheWire)
{
	UpdateStatus status;
	Torrent t;
	t.set_name("sda1");
	t.set_total(210 << 20);
	t.set_chunked(true);
	t.set_disk_total(std::int64_t(780) << 20);
	status.add_hashes("ab");
	(*status.mutable_torrents())["ab"] = t;
	std::string const table = status_table(status);
	EXPECT_NE(table.find("780.0 MiB"), std::string::npos) << table;
	EXPECT_NE(table.find("chunked: 210.0 MiB on the wire"), std::string::npos) << table;
}

}  // namespace
}  // namespace ezio::cli
