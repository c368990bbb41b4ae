// Faults of the swarm rather than of the disk: the seeder goes away
// half-way, or a peer sends corrupt data. Either way every client must end
// with exactly the golden image.
#include <signal.h>

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
constexpr int piece_length = 1 << 20;

// Several daemons on 127.0.0.1 must be allowed to talk to each other.
std::vector<std::string> const same_host{"--allow-multiple-connections-per-ip"};

std::vector<std::string> with(std::vector<std::string> args, std::vector<std::string> const& more)
{
	args.insert(args.end(), more.begin(), more.end());
	return args;
}

std::int64_t pieces_of(TestDaemon& daemon, std::string const& hash)
{
	auto const t = daemon.status(hash);
	return t ? t->num_pieces() : 0;
}

TEST(SwarmFaults, ClientsGoOnWithoutTheSeederAndFinishWhenItReturns)
{
	ScratchDir dir;
	int const num_pieces = 64;
	auto const [source, torrent, hash] = make_golden_image(dir, num_pieces * mib, 31, piece_length);

	// The clients trade more slowly than the seeder feeds them, so when it
	// dies half-way each holds pieces the others lack.
	std::vector<std::string> const seeder_args = with(same_host, {"--upload-rate-limit", "24"});
	std::vector<std::string> const client_args = with(same_host, {"--upload-rate-limit", "3"});
	auto seeder = std::make_unique<TestDaemon>(dir, "seeder", seeder_args);
	ASSERT_TRUE(seeder->add(torrent, source, true).ok());

	std::vector<std::unique_ptr<TestDaemon>> clients;
	std::vector<std::string> targets;
	for (int i = 0; i < 3; ++i) {
		targets.push_back(dir.file("client" + std::to_string(i) + ".img"));
		create_sparse_file(targets.back(), num_pieces * mib);
		clients.push_back(std::make_unique<TestDaemon>(dir, "client" + std::to_string(i), client_args));
	}
	for (int i = 0; i < 3; ++i) {
		std::vector<std::string> peers{seeder->peer()};
		for (int j = 0; j < i; ++j) peers.push_back(clients[j]->peer());
		ASSERT_TRUE(clients[i]->add(torrent, targets[i], false, peers).ok());
	}

	// Kill the seeder once the clients hold half of the pieces between them.
	auto total = [&] {
		std::int64_t sum = 0;
		for (auto& c : clients) sum += pieces_of(*c, hash);
		return sum;
	};
	auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
	while (total() < 3 * num_pieces / 2 && std::chrono::steady_clock::now() < deadline)
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	seeder->process().signal(SIGKILL);
	ASSERT_TRUE(seeder->process().wait_for(std::chrono::seconds(10)));
	std::int64_t const at_loss = total();
	ASSERT_LT(at_loss, 3 * num_pieces) << "the clients finished before the seeder could be killed";

	// Without it, they trade what they have.
	std::this_thread::sleep_for(std::chrono::seconds(3));
	std::int64_t const without_seeder = total();
	EXPECT_GT(without_seeder, at_loss) << "the clients exchanged nothing while the seeder was away";
	for (auto& c : clients) {
		auto const t = c->status(hash);
		ASSERT_TRUE(t);
		EXPECT_TRUE(t->error().empty()) << t->error();
	}

	// It comes back (on a new port) and tells the clients where it is.
	seeder.reset();
	seeder = std::make_unique<TestDaemon>(dir, "seeder-back", same_host);
	std::vector<std::string> client_peers;
	for (auto& c : clients) client_peers.push_back(c->peer());
	ASSERT_TRUE(seeder->add(torrent, source, true, client_peers).ok());
	for (int i = 0; i < 3; ++i) {
		EXPECT_TRUE(clients[i]->wait_finished(hash).is_finished());
		expect_extents_equal(source, targets[i], {{0, num_pieces * mib}});
	}
	// What the returning seeder sent: no more than what was still missing.
	auto const sent = seeder->status(hash);
	ASSERT_TRUE(sent);
	EXPECT_LE(sent->total_payload_upload(), (3 * num_pieces - without_seeder + 6) * mib);
	for (auto& c : clients) EXPECT_EQ(c->shutdown(), 0);
	EXPECT_EQ(seeder->shutdown(), 0);
	std::printf("clients held %lld pieces at the seeder's loss, %lld three seconds later; the returning seeder "
				"sent %lld MiB\n",
		static_cast<long long>(at_loss), static_cast<long long>(without_seeder),
		static_cast<long long>(sent->total_payload_upload() / mib));
}

// A peer that serves corrupt blocks (python3-libtorrent with hash checks
// off, seeding a damaged copy) and is much faster than the honest seeder.
TEST(SwarmFaults, ALyingPeerIsBannedAndTheDataIsRight)
{
	ScratchDir dir;
	int const num_pieces = 32;
	auto const [source, torrent, hash] = make_golden_image(dir, num_pieces * mib, 41, piece_length);
	std::string const torrent_file = dir.file("image.torrent");
	write_file(torrent_file, torrent);

	// The liar's copy: one byte wrong in every other piece.
	std::string const liar_dir = dir.file("liar");
	std::filesystem::create_directories(liar_dir);
	std::string const lie = liar_dir + "/0000000000000000";
	std::filesystem::copy_file(source, lie);
	for (int p = 0; p < num_pieces; p += 2) fill_pattern(lie, p * mib + 1000, 1, 99);

	TestDaemon seeder(dir, "seeder", with(same_host, {"--upload-rate-limit", "4"}));
	ASSERT_TRUE(seeder.add(torrent, source, true).ok());
	TestDaemon leecher(dir, "leecher", same_host);

	std::string const liar_log = dir.file("liar.log");
	auto liar = Process::spawn({"/usr/bin/python3", LYING_PEER_SCRIPT, torrent_file, liar_dir}, liar_log);
	auto const listening = liar->wait_for_line(liar_log, "listening on ");
	ASSERT_TRUE(listening) << "the lying peer did not start:\n" << read_file(liar_log);
	std::string const liar_port = *listening;

	std::string const target = dir.file("target.img");
	create_sparse_file(target, num_pieces * mib);
	ASSERT_TRUE(leecher.add(torrent, target, false, {"127.0.0.1:" + liar_port, seeder.peer()}).ok());
	EXPECT_TRUE(leecher.wait_finished(hash).is_finished());
	expect_extents_equal(source, target, {{0, num_pieces * mib}});

	std::string const log = leecher.log();
	EXPECT_NE(log.find("hash for piece"), std::string::npos) << "no piece failed its hash: the liar was not used";
	EXPECT_NE(log.find("banned peer"), std::string::npos) << "the lying peer was not banned";
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

// The only seeder's image is damaged in one piece (its data is trusted):
// the client fails that piece's hash again and again, and its status says
// which piece, how often, and who sent it (libtorrent bans the only
// sender of a failed piece), while the torrent goes on.
TEST(SwarmFaults, APieceThatFailsFromEveryPeerIsNamedInTheStatus)
{
	ScratchDir dir;
	int const num_pieces = 8;
	auto const [source, torrent, hash] = make_golden_image(dir, num_pieces * mib, 43, piece_length);
	std::string const damaged = dir.file("damaged.img");
	std::filesystem::copy_file(source, damaged);
	fill_pattern(damaged, 5 * mib + 1000, 3, 99);

	TestDaemon seeder(dir, "seeder");
	ASSERT_TRUE(seeder.add(torrent, damaged, true).ok());
	TestDaemon leecher(dir, "leecher");
	std::string const target = dir.file("target.img");
	create_sparse_file(target, num_pieces * mib);
	ASSERT_TRUE(leecher.add(torrent, target, false, {seeder.peer()}).ok());
	auto const last = leecher.wait_until(hash, [](ezio::Torrent const& t) { return !t.warning().empty(); },
		std::chrono::seconds(60));
	ASSERT_TRUE(last);
	EXPECT_NE(last->warning().find("piece 5 failed its hash"), std::string::npos) << last->warning();
	EXPECT_NE(last->warning().find(seeder.peer()), std::string::npos) << "names who sent it: " << last->warning();
	EXPECT_TRUE(last->error().empty()) << "the torrent goes on: " << last->error();
	EXPECT_FALSE(last->is_finished());
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
