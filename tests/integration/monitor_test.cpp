// --metrics during a real deployment: the Prometheus endpoint scraped and
// parsed strictly, and the status page rendered by headless Chromium.
#include <filesystem>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/prometheus_parser.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

constexpr std::int64_t mib = 1 << 20;
constexpr int num_pieces = 48;

int metrics_port(TestDaemon const& daemon)
{
	std::smatch match;
	std::string const log = daemon.log();
	static std::regex const pattern("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics");
	return std::regex_search(log, match, pattern) ? std::stoi(match[1]) : 0;
}

// A seeder at 8 MiB/s and a leecher with --metrics on a free loopback port:
// the deployment of 48 MiB takes about six seconds, time to look at it.
class Monitor : public ::testing::Test {
protected:
	void SetUp() override
	{
		m_golden = make_golden_image(m_dir, num_pieces * mib, 77);
		m_target = m_dir.file("target.img");
		create_sparse_file(m_target, num_pieces * mib);
		m_seeder = std::make_unique<TestDaemon>(m_dir, "seeder", std::vector<std::string>{"--upload-rate-limit", "8"});
		ASSERT_TRUE(m_seeder->add(m_golden.torrent, m_golden.path, true).ok());
		m_leecher = std::make_unique<TestDaemon>(m_dir, "leecher",
			std::vector<std::string>{"--metrics", "127.0.0.1:0", "--status-interval", "1"});
		m_port = metrics_port(*m_leecher);
		ASSERT_GT(m_port, 0) << "the daemon did not say where its metrics are:\n" << m_leecher->log();
		ASSERT_TRUE(m_leecher->add(m_golden.torrent, m_target, false, {m_seeder->peer()}).ok());
	}

	void TearDown() override
	{
		if (m_leecher) EXPECT_EQ(m_leecher->shutdown(), 0);
		if (m_seeder) EXPECT_EQ(m_seeder->shutdown(), 0);
	}

	Metrics scrape()
	{
		httplib::Client client("127.0.0.1", m_port);
		auto const response = client.Get("/metrics");
		if (!response || response->status != 200) {
			ADD_FAILURE() << "GET /metrics failed";
			return {};
		}
		EXPECT_EQ(response->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
		auto parsed = parse_prometheus_text(response->body);
		if (!parsed) ADD_FAILURE() << parsed.error() << "\n" << response->body;
		return parsed ? std::move(parsed.value()) : Metrics{};
	}

	// Waits until the leecher holds some pieces and has a download rate
	// (libtorrent's rates are averaged over seconds).
	void wait_midway()
	{
		auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
		while (std::chrono::steady_clock::now() < deadline) {
			auto const t = m_leecher->status(m_golden.hash);
			if (t && t->num_pieces() >= 4 && t->download_rate() > 0) return;
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		}
		FAIL() << "the leecher never got 4 pieces and a rate";
	}

	ScratchDir m_dir;
	GoldenImage m_golden;
	std::string m_target;
	std::unique_ptr<TestDaemon> m_seeder;
	std::unique_ptr<TestDaemon> m_leecher;
	int m_port = 0;
};

TEST_F(Monitor, MetricsFollowADeploymentToTheEnd)
{
	wait_midway();
	if (HasFatalFailure()) return;
	std::map<std::string, std::string> const torrent{{"torrent", m_golden.hash}};
	Metrics const mid = scrape();
	double const progress = mid.value("ezio_torrent_progress_ratio", torrent).value_or(-1);
	EXPECT_GT(progress, 0);
	EXPECT_LT(progress, 1);
	EXPECT_EQ(mid.value("ezio_torrent_state", {{"torrent", m_golden.hash}, {"state", "downloading"}}), 1);
	EXPECT_EQ(mid.value("ezio_torrent_finished", torrent), 0);
	EXPECT_EQ(mid.value("ezio_torrent_pieces", torrent), num_pieces);
	EXPECT_EQ(mid.value("ezio_torrent_peers", torrent), 1);
	EXPECT_GT(mid.value("ezio_torrent_download_rate_bytes_per_second", torrent).value_or(0), 0);
	EXPECT_EQ(mid.value("ezio_engine_budget_bytes"), 512 * mib);

	auto const done = m_leecher->wait_finished(m_golden.hash, std::chrono::seconds(60));
	ASSERT_TRUE(done.is_finished());
	Metrics const end = scrape();
	EXPECT_EQ(end.value("ezio_torrent_progress_ratio", torrent), 1);
	EXPECT_EQ(end.value("ezio_torrent_finished", torrent), 1);
	EXPECT_EQ(end.value("ezio_torrent_state", {{"torrent", m_golden.hash}, {"state", "finished"}}), 1);
	EXPECT_EQ(end.value("ezio_torrent_downloaded_bytes_total", torrent), num_pieces * mib);
	// What the engine says it wrote and hashed is the image, in large writes.
	double const written = end.value("ezio_engine_written_bytes_total").value_or(0);
	double const writes = end.value("ezio_engine_writes_total").value_or(0);
	EXPECT_EQ(written, num_pieces * mib);
	EXPECT_GT(writes, 0);
	EXPECT_GE(written / writes, mib) << "mean write below one piece";
	EXPECT_EQ(end.value("ezio_engine_hashed_blocks_total"), num_pieces * mib / (16 * 1024));
	// One finish, one fdatasync: the durable record's sync is the finishing
	// one (the download takes less than the 30 s of a periodic record).
	EXPECT_EQ(end.value("ezio_engine_syncs_total"), 1);
	EXPECT_EQ(end.value("ezio_engine_io_errors_total"), 0);
	expect_extents_equal(m_golden.path, m_target, {{0, num_pieces * mib}});

	// And the periodic status lines (every second here) said so too.
	std::string const finished_line = "finished 100.0% (48/48 pieces)";
	for (int i = 0; i < 30 && m_leecher->log().find(finished_line) == std::string::npos; ++i)
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	std::string const log = m_leecher->log();
	EXPECT_NE(log.find("torrent " + m_golden.hash + " '0000000000000000': downloading"), std::string::npos) << log;
	EXPECT_NE(log.find(finished_line), std::string::npos) << log;
}

// The DOM of the status page after headless Chromium ran its script.
std::string render_page(ScratchDir const& dir, int port)
{
	auto const result = run({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + dir.file("chromium-profile"), "--virtual-time-budget=4000", "--dump-dom",
		"http://127.0.0.1:" + std::to_string(port) + "/"});
	EXPECT_EQ(result.status, 0) << result.output;
	return result.output;
}

std::string attribute(std::string const& dom, std::string const& name)
{
	std::smatch match;
	std::regex const pattern(name + "=\"([^\"]*)\"");
	return std::regex_search(dom, match, pattern) ? match[1].str() : "";
}

TEST_F(Monitor, TheStatusPageShowsTheDeploymentInABrowser)
{
	ASSERT_EQ(run({"chromium", "--version"}).status, 0) << "chromium is missing: scripts/install-deps installs it";
	wait_midway();
	if (HasFatalFailure()) return;

	std::string const mid = render_page(m_dir, m_port);
	EXPECT_NE(mid.find("data-hash=\"" + m_golden.hash + "\""), std::string::npos) << mid;
	EXPECT_EQ(attribute(mid, "data-phase"), "downloading") << mid;
	int const drawn = std::atoi(attribute(mid, "data-pieces-done").c_str());
	EXPECT_GT(drawn, 0) << "the piece map shows no piece done";
	EXPECT_LT(drawn, num_pieces);
	EXPECT_EQ(attribute(mid, "data-pieces-total"), std::to_string(num_pieces));
	std::smatch percent;
	ASSERT_TRUE(std::regex_search(mid, percent, std::regex("<span class=\"progress\">([0-9.]+) %</span>"))) << mid;
	EXPECT_GT(std::stod(percent[1]), 0);
	EXPECT_LT(std::stod(percent[1]), 100);
	EXPECT_NE(mid.find("1 peer<"), std::string::npos);
	EXPECT_NE(mid.find("ETA "), std::string::npos);

	ASSERT_TRUE(m_leecher->wait_finished(m_golden.hash, std::chrono::seconds(60)).is_finished());
	std::string const end = render_page(m_dir, m_port);
	EXPECT_EQ(attribute(end, "data-phase"), "finished") << end;
	EXPECT_EQ(attribute(end, "data-pieces-done"), std::to_string(num_pieces));
	EXPECT_NE(end.find("<span class=\"progress\">100.0 %</span>"), std::string::npos) << end;
	EXPECT_NE(end.find("1 torrents, 1 finished"), std::string::npos) << end;
}

TEST(MonitorFlag, BadAddressesAndBusyPortsAreClearErrors)
{
	ScratchDir dir;
	auto const bad = run({ezio_binary(), "--metrics", "localhost:9100"});
	EXPECT_EQ(bad.status, 2);
	EXPECT_NE(bad.output.find("is not PORT or IP:PORT"), std::string::npos) << bad.output;

	// A port in use: the daemon says so and stops, rather than run unseen.
	httplib::Server busy;
	int const port = busy.bind_to_any_port("127.0.0.1");
	ASSERT_GT(port, 0);
	auto const taken = run({ezio_binary(), "-l", "unix:" + dir.file("api.sock"), "-p", "0", "--state-dir", "",
		"--metrics", std::to_string(port)});
	EXPECT_EQ(taken.status, 1) << taken.output;
	EXPECT_NE(taken.output.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
		<< taken.output;
}

}  // namespace
}  // namespace ezio::test
