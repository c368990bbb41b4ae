#include "monitor/daemon_metrics.hpp"

#include <gtest/gtest.h>

#include "monitor/prometheus_text.hpp"
#include "support/prometheus_parser.hpp"

namespace ezio::monitor {
namespace {

using api::EngineFigures;
using api::TorrentStatus;

TorrentStatus downloading(std::string hash, std::string name)
{
	TorrentStatus t;
	t.hash = std::move(hash);
	t.name = std::move(name);
	t.state = api::TorrentState::downloading;
	t.progress = 0.25;
	t.total_done = 256 << 20;
	t.total = 1024LL << 20;
	t.num_pieces = 16;
	t.pieces_total = 64;
	t.download_rate = 64 << 20;
	t.total_payload_download = 300 << 20;
	t.num_peers = 7;
	return t;
}

TEST(DaemonMetrics, EveryTorrentAndTheEngineInValidExpositionFormat)
{
	TorrentStatus a = downloading("aa", "sda1");
	TorrentStatus b = downloading("bb", "has \"quotes\", a \\ and a\nnewline");
	b.error = "fdatasync of '/dev/sdb1' failed: Input/output error";
	b.is_paused = true;
	EngineFigures engine;
	engine.raw_mode = true;
	engine.budget_bytes = 512 << 20;
	engine.budget_used_bytes = 100 << 20;
	engine.counters.write_ops = 12;
	engine.counters.write_bytes = 192 << 20;
	engine.counters.hash_micros = 1'500'000;

	auto const parsed = test::parse_prometheus_text(render_metrics({a, b}, engine));
	ASSERT_TRUE(parsed) << parsed.error();
	test::Metrics const& m = *parsed;

	EXPECT_EQ(m.value("ezio_torrents"), 2);
	EXPECT_EQ(m.value("ezio_torrent_progress_ratio", {{"torrent", "aa"}, {"name", "sda1"}}), 0.25);
	EXPECT_EQ(m.value("ezio_torrent_downloaded_bytes_total", {{"torrent", "aa"}}), 300 << 20);
	EXPECT_EQ(m.value("ezio_torrent_peers", {{"torrent", "aa"}}), 7);
	EXPECT_EQ(m.value("ezio_torrent_eta_seconds", {{"torrent", "aa"}}), 12);  // 768 MiB at 64 MiB/s
	EXPECT_EQ(m.value("ezio_torrent_state", {{"torrent", "aa"}, {"state", "downloading"}}), 1);
	EXPECT_EQ(m.value("ezio_torrent_state", {{"torrent", "aa"}, {"state", "finished"}}), 0);
	// The label escapes survive the round trip.
	EXPECT_EQ(m.value("ezio_torrent_state", {{"name", b.name}, {"state", "error"}}), 1);
	EXPECT_EQ(m.value("ezio_torrent_error", {{"torrent", "bb"}}), 1);
	EXPECT_EQ(m.value("ezio_torrent_error_info", {{"torrent", "bb"}, {"message", b.error}}), 1);
	EXPECT_FALSE(m.value("ezio_torrent_error_info", {{"torrent", "aa"}}));

	EXPECT_EQ(m.value("ezio_engine_budget_bytes"), 512 << 20);
	EXPECT_EQ(m.value("ezio_engine_budget_used_bytes"), 100 << 20);
	EXPECT_EQ(m.value("ezio_engine_written_bytes_total"), 192 << 20);
	EXPECT_EQ(m.value("ezio_engine_hash_seconds_total"), 1.5);
	EXPECT_EQ(m.families.at("ezio_engine_writes_total").type, "counter");
	EXPECT_EQ(m.value("ezio_build_info", {{"mode", "raw"}}), 1);
}

TEST(DaemonMetrics, FileModeHasNoEngineFigures)
{
	auto const parsed = test::parse_prometheus_text(render_metrics({}, EngineFigures{}));
	ASSERT_TRUE(parsed) << parsed.error();
	EXPECT_EQ(parsed->value("ezio_torrents"), 0);
	EXPECT_EQ(parsed->value("ezio_build_info", {{"mode", "file"}}), 1);
	EXPECT_FALSE(parsed->value("ezio_engine_budget_bytes"));
}

TEST(PrometheusText, EscapesAndFormatsValues)
{
	PrometheusText out;
	out.family("x_total", "counter", "a \\ help\nline");
	out.sample("x_total", {{"l", "a\"b\\c\nd"}}, 3);
	out.family("y", "gauge", "y");
	out.sample("y", {}, 0.5);
	out.sample("y", {{"k", "big"}}, 1e17);
	EXPECT_EQ(out.str(),
		"# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\n"
		"x_total{l=\"a\\\"b\\\\c\\nd\"} 3\n"
		"# HELP y y\n# TYPE y gauge\ny 0.5\ny{k=\"big\"} 1e+17\n");
}

// The parser the integration tests rely on must refuse what a scraper would.
TEST(PrometheusParser, RefusesMalformedText)
{
	for (char const* bad : {
			 "x 1\n",                                    // no TYPE
			 "# TYPE x gauge\nx{a=\"1\" 1\n",            // labels not closed
			 "# TYPE x gauge\nx{a=1} 1\n",               // unquoted value
			 "# TYPE x gauge\nx one\n",                  // not a number
			 "# TYPE x counter\nx 1\n",                  // counter without _total
			 "# TYPE x gauge\nx 1\nx 2\n",               // repeated series
			 "# TYPE 1x gauge\n",                        // bad name
			 "# TYPE x gauge\nx{a=\"\\q\"} 1\n",         // bad escape
			 "# TYPE x gauge\n# TYPE x gauge\n",         // second TYPE
		 })
		EXPECT_FALSE(test::parse_prometheus_text(bad)) << bad;
	EXPECT_TRUE(test::parse_prometheus_text("# TYPE x gauge\nx{a=\"1\",b=\"2\"} 1\nx{a=\"2\"} NaN\n"));
}

}  // namespace
}  // namespace ezio::monitor
