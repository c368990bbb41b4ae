// Chunked torrents (docs/format.md, "Chunked torrents") between real
// daemons: a real ext4 image deployed compressed, byte-compared and
// e2fsck-clean; a -F seeder serving the chunk store; a client with a small
// budget serving chunks it made again; a re-deploy with --verify-target
// that fetches only the chunks that changed; a seeder whose target does not
// hold the data serves none of it; hostile chunk lists refused.
#include <filesystem>
#include <csignal>
#include <cstdlib>
#include <iterator>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

#include "chunk/layout.hpp"
#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"
#include "torrent/chunk_maker.hpp"

namespace ezio::test {
namespace {

constexpr std::uint64_t target_seed = 0xc0ffee;
constexpr std::int64_t window = 1 << 20;  // small, so a small image has many chunks

struct Chunked {
	chunk::Layout layout;
	std::string torrent;
	std::string hash;
};

Chunked chunked_torrent(std::string const& path, std::vector<torrent::Extent> const& extents)
{
	torrent::ChunkOptions options;
	options.window = window;
	auto layout = torrent::make_chunks(path, extents, options);
	if (!layout) throw std::runtime_error(layout.error());
	auto bytes = torrent::build_chunked_torrent({"sda1", {}, "test"}, *layout);
	if (!bytes) throw std::runtime_error(bytes.error());
	return {std::move(layout.value()), *bytes, info_hash_of(*bytes)};
}

// A chunked torrent of `image` whose chunks are also written into the chunk
// store `store` (what `ezioctl create --chunked --store` makes), as a
// Clonezilla server would seed it with -F.
Chunked chunk_store(Ext4Image const& image, std::string const& store)
{
	std::filesystem::create_directories(store + "/sda1");
	torrent::ChunkOptions options;
	options.window = window;
	options.store = [&](chunk::Chunk const& c, std::span<char const> stored) {
		return torrent::store_chunk(store + "/sda1", c, stored);
	};
	auto layout = torrent::make_chunks(image.path, image.info.extents, options);
	if (!layout) throw std::runtime_error(layout.error());
	auto bytes = torrent::build_chunked_torrent({"sda1", {}, "test"}, *layout);
	if (!bytes) throw std::runtime_error(bytes.error());
	return {std::move(layout.value()), *bytes, info_hash_of(*bytes)};
}

int count_codec(chunk::Layout const& layout, chunk::Codec codec)
{
	int n = 0;
	for (auto const& c : layout.chunks) n += c.codec == codec;
	return n;
}

TEST(Chunked, Ext4ImageDeploysCompressedFromARawGoldenImage)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 24, 7);
	Chunked const chunked = chunked_torrent(image.path, image.info.extents);
	// Both codecs: metadata compresses, the random files do not.
	ASSERT_GT(count_codec(chunked.layout, chunk::Codec::zstd), 0);
	ASSERT_GT(count_codec(chunked.layout, chunk::Codec::stored), 0);
	ASSERT_LT(chunked.layout.stored_bytes(), chunked.layout.raw_bytes());

	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(seeder.add(chunked.torrent, image.path, true).ok());
	auto const added = leecher.add(chunked.torrent, target, false, {seeder.peer()});
	ASSERT_TRUE(added.ok()) << added.error_message();
	auto const done = leecher.wait_finished(chunked.hash);
	ASSERT_TRUE(done.is_finished());
	// What travelled is the stored form, not the used bytes; the status
	// says both.
	EXPECT_LT(done.total_payload_download(), chunked.layout.raw_bytes());
	EXPECT_TRUE(done.chunked());
	EXPECT_EQ(done.total(), chunked.layout.stored_bytes());
	EXPECT_EQ(done.disk_total(), chunked.layout.raw_bytes());
	EXPECT_EQ(done.disk_done(), chunked.layout.raw_bytes());
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);

	expect_extents_equal(image.path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
	auto const fsck = run({"e2fsck", "-fn", target});
	EXPECT_EQ(fsck.status, 0) << fsck.output;

	// ezioctl verify checks every chunk, and names one that differs.
	std::string const file = dir.file("chunked.torrent");
	write_file(file, chunked.torrent);
	auto const verified = run({ezioctl_binary(), "verify", file, target});
	EXPECT_EQ(verified.status, 0) << verified.output;
	auto const& last = chunked.layout.chunks.back();
	fill_pattern(target, last.disk_offset + last.extents.back().offset, std::min<std::int64_t>(64, last.extents.back().length), 77);
	auto const differs = run({ezioctl_binary(), "verify", file, target});
	EXPECT_EQ(differs.status, 1) << differs.output;
	EXPECT_NE(differs.output.find(fmt::format("do not match: {}", chunked.layout.chunks.size() - 1)), std::string::npos)
		<< differs.output;
}

TEST(Chunked, AFileModeSeederServesTheChunkStoreAsItIs)
{
	// The Clonezilla server's case: no raw partition, only what `ezioctl
	// create --store` wrote. A -F daemon seeds it; nothing is compressed.
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 48, 16, 11);
	std::string const store = dir.file("store");
	Chunked const chunked = chunk_store(image, store);
	std::string const& hash = chunked.hash;

	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon seeder(dir, "seeder", {"-F"});
	TestDaemon leecher(dir, "leecher");
	auto const seeding = seeder.add(chunked.torrent, store, true);
	ASSERT_TRUE(seeding.ok()) << seeding.error_message();
	ASSERT_TRUE(leecher.add(chunked.torrent, target, false, {seeder.peer()}).ok());
	auto const done = leecher.wait_finished(hash);
	ASSERT_TRUE(done.is_finished());
	EXPECT_EQ(done.disk_done(), chunked.layout.raw_bytes());
	auto const served = seeder.status(hash);
	ASSERT_TRUE(served);
	EXPECT_GE(served->total_payload_upload(), chunked.layout.stored_bytes());
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	expect_extents_equal(image.path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
	EXPECT_EQ(run({"e2fsck", "-fn", target}).status, 0);
}

TEST(Chunked, ReDeployWithVerifyTargetFetchesOnlyTheChangedChunks)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "v1", 48, 16, 11);
	Chunked const v1 = chunked_torrent(image.path, image.info.extents);

	// v2: the same image with bytes changed in two chunks' used data.
	std::string const v2_path = dir.file("v2.img");
	std::filesystem::copy_file(image.path, v2_path);
	ASSERT_GE(v1.layout.chunks.size(), 8u);
	std::vector<std::size_t> const changed{3, v1.layout.chunks.size() - 2};
	for (std::size_t k : changed) {
		auto const& c = v1.layout.chunks[k];
		fill_pattern(v2_path, c.disk_offset + c.extents[0].offset, std::min<std::int64_t>(c.extents[0].length, 8192),
			1000 + k);
	}
	Chunked const v2 = chunked_torrent(v2_path, image.info.extents);
	std::int64_t changed_bytes = 0;
	for (std::size_t k : changed) {
		ASSERT_NE(v1.layout.chunks[k].sha256, v2.layout.chunks[k].sha256);
		changed_bytes += v2.layout.chunks[k].stored_length;
	}

	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon seeder(dir, "seeder");
	{
		TestDaemon leecher(dir, "leecher-v1");
		ASSERT_TRUE(seeder.add(v1.torrent, image.path, true).ok());
		ASSERT_TRUE(leecher.add(v1.torrent, target, false, {seeder.peer()}).ok());
		ASSERT_TRUE(leecher.wait_finished(v1.hash).is_finished());
		EXPECT_EQ(leecher.shutdown(), 0);
	}
	ASSERT_TRUE(seeder.add(v2.torrent, v2_path, true).ok());
	TestDaemon leecher(dir, "leecher-v2");
	auto const added = leecher.add(v2.torrent, target, false, {seeder.peer()}, 6, /*verify_target=*/true);
	ASSERT_TRUE(added.ok()) << added.error_message();
	auto const done = leecher.wait_finished(v2.hash);
	ASSERT_TRUE(done.is_finished());
	// Only the changed chunks travelled (their last block may carry a few
	// bytes of pad).
	EXPECT_GT(done.total_payload_download(), 0);
	EXPECT_LE(done.total_payload_download(), changed_bytes + std::int64_t(changed.size()) * 16384);
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	expect_extents_equal(v2_path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
}

TEST(Chunked, ASeederWhoseTargetDiffersServesNothingAndTheDeployFinishesFromOthers)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 32, 8, 5);
	Chunked const chunked = chunked_torrent(image.path, image.info.extents);
	// A "seeder" whose disk holds something else: every chunk it makes again
	// fails its piece hash, so it must not send one.
	std::string const other = patterned_target(dir, target_seed, "other.img", image.size);
	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	// All on 127.0.0.1; the good seeder slow, so that the leecher asks the
	// wrong one too.
	std::string const many = "--allow-multiple-connections-per-ip";
	TestDaemon wrong(dir, "wrong", {many});
	TestDaemon seeder(dir, "seeder", {many, "--upload-rate-limit", "1"});
	TestDaemon leecher(dir, "leecher", {many});
	ASSERT_TRUE(wrong.add(chunked.torrent, other, true).ok());
	ASSERT_TRUE(seeder.add(chunked.torrent, image.path, true).ok());
	ASSERT_TRUE(leecher.add(chunked.torrent, target, false, {wrong.peer(), seeder.peer()}).ok());
	auto const done = leecher.wait_finished(chunked.hash, std::chrono::seconds(60));
	ASSERT_TRUE(done.is_finished());
	auto const wrong_status = wrong.status(chunked.hash);
	ASSERT_TRUE(wrong_status);
	EXPECT_EQ(wrong_status->total_payload_upload(), 0);
	EXPECT_NE(wrong.log().find("does not match its piece"), std::string::npos) << wrong.log();
	EXPECT_EQ(wrong.log().find("error"), std::string::npos) << "a declined read is not an error";
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	EXPECT_EQ(wrong.shutdown(), 0);
	expect_extents_equal(image.path, target, image.info.extents);
}

TEST(Chunked, AClientWithASmallBudgetServesChunksItNoLongerHolds)
{
	// Client a's budget (16 MiB) is smaller than the chunks: most have left
	// its memory by the time b asks, with the seeder gone. a makes them
	// again from its own target, checks them and sends them.
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 64, 32, 13);
	Chunked const chunked = chunked_torrent(image.path, image.info.extents);
	ASSERT_GT(chunked.layout.stored_bytes(), std::int64_t(24) << 20) << "the chunks must not fit a's budget";
	std::string const target_a = patterned_target(dir, target_seed, "a.img", image.size);
	std::string const target_b = patterned_target(dir, target_seed, "b.img", image.size);
	TestDaemon seeder(dir, "seeder");
	// The tiny-budget variant (ctest integration_tiny_budget) gives every
	// daemon 16 MiB already, and a second --cache-size is refused.
	char const* variant = std::getenv("EZIO_TEST_DAEMON_ARGS");
	bool const budget_given = variant != nullptr && std::string(variant).find("--cache-size") != std::string::npos;
	TestDaemon a(dir, "a", budget_given ? std::vector<std::string>{} : std::vector<std::string>{"--cache-size", "16"});
	ASSERT_TRUE(seeder.add(chunked.torrent, image.path, true).ok());
	ASSERT_TRUE(a.add(chunked.torrent, target_a, false, {seeder.peer()}).ok());
	ASSERT_TRUE(a.wait_finished(chunked.hash).is_finished());
	EXPECT_EQ(seeder.shutdown(), 0);

	TestDaemon b(dir, "b");
	ASSERT_TRUE(b.add(chunked.torrent, target_b, false, {a.peer()}).ok());
	auto const done = b.wait_finished(chunked.hash, std::chrono::seconds(60));
	ASSERT_TRUE(done.is_finished());
	// All from a; a few blocks may come twice (a request a rejected while
	// its memory was short is asked again).
	EXPECT_GE(done.total_payload_download(), chunked.layout.stored_bytes());
	EXPECT_LE(done.total_payload_download(), chunked.layout.stored_bytes() * 21 / 20);
	EXPECT_EQ(a.log().find("does not match its piece"), std::string::npos) << a.log();
	EXPECT_EQ(b.shutdown(), 0);
	EXPECT_EQ(a.shutdown(), 0);
	expect_extents_equal(image.path, target_b, image.info.extents);
	expect_gaps_untouched(target_b, gaps_between(image.info.extents, image.size), target_seed);
}

TEST(Chunked, ResumesAfterTheDaemonWasKilledMidChunk)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 32, 12, 9);
	Chunked const chunked = chunked_torrent(image.path, image.info.extents);
	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	std::string const state = dir.file("leecher.state");
	int const pieces = int(chunked.layout.chunks.size());
	// 1 MiB/s: about a chunk a second, time enough to stop part-way.
	TestDaemon seeder(dir, "seeder", {"--upload-rate-limit", "1"});
	ASSERT_TRUE(seeder.add(chunked.torrent, image.path, true).ok());
	{
		TestDaemon leecher(dir, "leecher", {"--state-dir", state});
		ASSERT_TRUE(leecher.add(chunked.torrent, target, false, {seeder.peer()}).ok());
		auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
		std::int64_t had = 0;
		while (had < pieces / 3 && std::chrono::steady_clock::now() < deadline) {
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
			auto const t = leecher.status(chunked.hash);
			had = t ? t->num_pieces() : 0;
		}
		ASSERT_GE(had, pieces / 3);
		ASSERT_LT(had, pieces) << "finished before it could be stopped; slow the seeder down";
		// Killed while a chunk is on its way: its blocks are in memory only.
		leecher.process().signal(SIGKILL);
		ASSERT_TRUE(leecher.process().wait_for(std::chrono::seconds(10)));
	}
	TestDaemon leecher(dir, "leecher-restarted", {"--state-dir", state});
	ASSERT_TRUE(leecher.add(chunked.torrent, target, false, {seeder.peer()}).ok());
	auto const done = leecher.wait_finished(chunked.hash);
	ASSERT_TRUE(done.is_finished());
	EXPECT_NE(leecher.log().find("resumes:"), std::string::npos) << "no resume record was used";
	EXPECT_LT(done.total_payload_download(), chunked.layout.stored_bytes()) << "it fetched everything again";
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	expect_extents_equal(image.path, target, image.info.extents);
	expect_gaps_untouched(target, gaps_between(image.info.extents, image.size), target_seed);
}

TEST(Chunked, HostileChunkListsAreRefusedAtAddTorrent)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 16, 4, 3);
	Chunked const chunked = chunked_torrent(image.path, image.info.extents);
	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon daemon(dir, "daemon");

	auto extents_of = [](lt::entry& list, int k) -> lt::entry::list_type& {
		return list["chunks"].list()[std::size_t(k)].list()[4].list();
	};
	std::vector<std::pair<std::string, std::function<void(lt::entry&)>>> const cases{
		{"an extent that leaves its window", [&](lt::entry& l) { extents_of(l, 0)[0] = window; }},
		{"lengths that do not add up", [](lt::entry& l) { l["chunks"].list()[0].list()[1] = 1; }},
		{"an unknown codec", [](lt::entry& l) { l["chunks"].list()[0].list()[2] = 7; }},
		{"a window that is not the piece length", [](lt::entry& l) { l["window"] = 2 * window; }},
		{"a window off its alignment", [](lt::entry& l) { l["chunks"].list()[0].list()[0] = 4096; }},
		{"a short digest", [](lt::entry& l) { l["chunks"].list()[0].list()[3] = "abc"; }},
		{"a format from the future", [](lt::entry& l) { l["format"] = 2; }},
		{"no chunks", [](lt::entry& l) { l["chunks"] = lt::entry::list_type(); }},
	};
	for (auto const& [what, edit] : cases) {
		auto const status = daemon.add(edited(chunked.torrent, edit), target, false);
		EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what << ": " << status.error_message();
		EXPECT_NE(status.error_message().find("chunk"), std::string::npos) << what << ": " << status.error_message();
	}
	// Nothing was written.
	EXPECT_FALSE(find_pattern_mismatch(target, 0, image.size, target_seed));
	EXPECT_EQ(daemon.shutdown(), 0);
}

// A chunk list that lies about a chunk's SHA-256 (its piece hash, of the
// stored bytes, holds): the client writes nothing of that chunk, and its
// status says which chunk and why, not an errno's text.
TEST(Chunked, AChunkThatIsNotWhatItsListSaysIsNamedInTheStatus)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 16, 4, 7);
	Chunked const chunked = chunked_torrent(image.path, image.info.extents);
	std::string const lying = edited(chunked.torrent, [](lt::entry& l) {
		l["chunks"].list()[0].list()[3] = std::string(32, 'x');
	});
	std::string const hash = info_hash_of(lying);
	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon seeder(dir, "seeder");
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(seeder.add(lying, image.path, true).ok());
	ASSERT_TRUE(leecher.add(lying, target, false, {seeder.peer()}).ok());
	auto const last = leecher.wait_until(hash, [](ezio::Torrent const& t) { return !t.error().empty() || t.is_finished(); },
		std::chrono::seconds(30));
	ASSERT_TRUE(last);
	EXPECT_FALSE(last->is_finished());
	EXPECT_NE(last->error().find("SHA-256"), std::string::npos) << last->error();
	EXPECT_NE(last->error().find(fmt::format("sda1/{:016x}", chunked.layout.chunks[0].disk_offset)),
		std::string::npos) << "names the chunk: " << last->error();
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
	auto const& first = chunked.layout.chunks[0].extents;
	for (auto const& x : first) EXPECT_FALSE(find_pattern_mismatch(target, x.offset, x.length, target_seed));
}

// A chunk store damaged after it was made (3 bytes flipped in one chunk
// file, same size): the -F seeder finds it on the first read of that
// piece, stops serving it, and says in its status which file and how to
// mend it; the client does not finish on bad data.
TEST(Chunked, ADamagedChunkStoreIsNamedByItsSeeder)
{
	ScratchDir dir;
	auto const image = make_ext4_image(dir, "golden", 16, 6, 17);
	std::string const store = dir.file("store");
	Chunked const chunked = chunk_store(image, store);
	std::string const& hash = chunked.hash;
	std::size_t const damaged = chunked.layout.chunks.size() / 2;
	std::string const chunk_file = store + "/sda1/" + torrent::chunk_file_name(chunked.layout.chunks[damaged]);
	{
		std::string data = read_file(chunk_file);
		for (std::size_t i = 0; i < 3; ++i) data[data.size() / 2 + i] ^= 0x5a;
		write_file(chunk_file, data);
	}

	std::string const target = patterned_target(dir, target_seed, "target.img", image.size);
	TestDaemon seeder(dir, "seeder", {"-F"});
	TestDaemon leecher(dir, "leecher");
	ASSERT_TRUE(seeder.add(chunked.torrent, store, true).ok());
	ASSERT_TRUE(leecher.add(chunked.torrent, target, false, {seeder.peer()}).ok());
	auto const served = seeder.wait_until(hash, [](ezio::Torrent const& t) { return !t.error().empty(); },
		std::chrono::seconds(30));
	ASSERT_TRUE(served);
	EXPECT_NE(served->error().find(chunk_file), std::string::npos) << served->error();
	EXPECT_NE(served->error().find("ezioctl create"), std::string::npos) << "says how to mend it: " << served->error();
	EXPECT_FALSE(served->is_finished());
	auto const client = leecher.status(hash);
	ASSERT_TRUE(client);
	EXPECT_FALSE(client->is_finished());
	EXPECT_EQ(leecher.shutdown(), 0);
	EXPECT_EQ(seeder.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
