// The built-in tracker in a real deployment: the seeder runs it, the
// torrent names it, and the clients find the seeder and each other through
// it alone (no peer lists).
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

constexpr std::int64_t mib = 1 << 20;

// Deploys a golden image from a seeder running the tracker (with
// `seeder_flags`, its upload limited to `seeder_mib_per_s`) to three
// clients that know nothing but the torrent's announce URL (`scheme`: http
// or udp). Returns what the seeder uploaded, in images.
double deploy_through_tracker(
	std::vector<std::string> const& seeder_flags, std::string const& scheme = "http", int seeder_mib_per_s = 8)
{
	ScratchDir dir;
	int const num_pieces = 48;
	auto const golden = make_golden_image(dir, num_pieces * mib, 51);
	std::string const& source = golden.path;

	std::vector<std::string> const same_host{"--allow-multiple-connections-per-ip"};
	std::vector<std::string> seeder_args = same_host;
	// The seeder is the slowest link, as in a lab.
	seeder_args.insert(seeder_args.end(), {"--tracker", "0", "--upload-rate-limit", std::to_string(seeder_mib_per_s)});
	seeder_args.insert(seeder_args.end(), seeder_flags.begin(), seeder_flags.end());
	TestDaemon seeder(dir, "seeder", seeder_args);
	std::string const url = tracker_url(seeder, scheme);
	EXPECT_FALSE(url.empty()) << "the seeder did not say where its tracker listens";
	std::string const torrent = with_tracker(golden.torrent, url);
	std::string const& hash = golden.hash;
	EXPECT_TRUE(seeder.add(torrent, source, true).ok());

	std::vector<std::unique_ptr<TestDaemon>> clients;
	std::vector<std::string> targets;
	for (int i = 0; i < 3; ++i) {
		targets.push_back(dir.file("client" + std::to_string(i) + ".img"));
		create_sparse_file(targets.back(), num_pieces * mib);
		clients.push_back(std::make_unique<TestDaemon>(dir, "client" + std::to_string(i), same_host));
		EXPECT_TRUE(clients.back()->add(torrent, targets.back(), false).ok());
	}
	std::int64_t from_clients = 0;
	for (int i = 0; i < 3; ++i) {
		auto const done = clients[i]->wait_finished(hash, std::chrono::seconds(60));
		EXPECT_TRUE(done.is_finished());
		from_clients += done.total_payload_upload();
		expect_extents_equal(source, targets[i], {{0, num_pieces * mib}});
	}
	// The clients traded among themselves: they found each other, not only
	// the seeder (which is slow enough that trading pays).
	EXPECT_GT(from_clients, 0);
	auto const seeded = seeder.status(hash);
	double const ratio = seeded ? double(seeded->total_payload_upload()) / double(num_pieces * mib) : 0;
	std::printf("seeder uploaded %.2f× the image, the clients %lld MiB among themselves\n", ratio,
		static_cast<long long>(from_clients / mib));
	for (auto& c : clients) EXPECT_EQ(c->shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	return ratio;
}

TEST(Tracker, ClientsFindTheSeederAndEachOtherThroughIt)
{
	deploy_through_tracker({"--no-super-seed"});
}

// The piece handout (the default): the seeder hands each piece to one
// client and lets the clients spread it, so it sends little more than one
// image (plain seeding, --no-super-seed, sends about two here).
//
// Only while the clients trade faster than the seeder sends: once every
// piece has a copy, the handout rightly keeps an idle seeder busy with
// more copies. Sanitizers slow the clients down, so the seeder sends
// slowly here: at 24 MiB/s an ASan run sent 1.68 images, and at 8 MiB/s a
// TSan run 1.52, its clients trading 69 MiB in 14 s (5 MiB/s).
TEST(Tracker, ASuperSeederSendsTheImageAboutOnce)
{
	EXPECT_LT(deploy_through_tracker({}, "http", 3), 1.5);
}

// The same over the UDP tracker (BEP 15) on the same port number.
TEST(Tracker, ClientsFindEachOtherOverUdp)
{
	deploy_through_tracker({"--no-super-seed"}, "udp");
}

TEST(Tracker, APortInUseStopsTheDaemonWithAMessage)
{
	ScratchDir dir;
	TestDaemon first(dir, "first", {"--tracker", "0"});
	int const port = tracker_port(first);
	ASSERT_GT(port, 0);
	auto const result = run({ezio_binary(), "-l", "unix:" + dir.file("second.sock"), "-p", "0", "--state-dir", "",
		"--tracker", std::to_string(port)});
	EXPECT_EQ(result.status, 1);
	EXPECT_NE(result.output.find("tracker cannot listen"), std::string::npos) << result.output;
	EXPECT_EQ(first.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
