// Bad input never takes the daemon down: each bad AddTorrent or RPC gets a
// gRPC error with a message saying what is wrong, the target is left as it
// was, and the daemon and its other torrents go on.
#include <sys/mount.h>

#include <filesystem>
#include <iterator>

#include <gtest/gtest.h>
#include <grpcpp/generic/generic_stub.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>

#include "integration/deployment.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {
namespace {

constexpr std::uint64_t target_seed = 0xbad;

// A v1 torrent with whatever file names and sizes it is given (hashes are
// made up: these torrents must be refused before any data moves, or never
// find a peer).
std::string torrent_with_files(std::vector<std::pair<std::string, std::int64_t>> const& files,
	int piece_length = 16 * 1024)
{
	lt::file_storage fs;
	for (auto const& [path, size] : files) fs.add_file(path, size);
	lt::create_torrent ct(fs, piece_length, lt::create_torrent::v1_only);
	for (lt::piece_index_t const p : ct.piece_range()) ct.set_hash(p, lt::sha1_hash("made-up-piece-hash!!"));
	std::string out;
	lt::bencode(std::back_inserter(out), ct.generate());
	return out;
}

// A real v2 or hybrid torrent of a small file.
std::string v2_torrent(ScratchDir const& dir, lt::create_flags_t flags)
{
	std::string const root = dir.file("v2src");
	std::filesystem::create_directories(root);
	write_file(root + "/data.bin", std::string(100000, 'x'));
	lt::file_storage fs;
	lt::add_files(fs, root + "/data.bin");
	lt::create_torrent ct(fs, 16 * 1024, flags);
	lt::set_piece_hashes(ct, root);
	std::string out;
	lt::bencode(std::back_inserter(out), ct.generate());
	return out;
}

class BadInput : public ::testing::Test {
protected:
	void SetUp() override
	{
		daemon = std::make_unique<TestDaemon>(dir, "daemon");
		target = dir.file("target.img");
		create_sparse_file(target, 8 << 20);
		fill_pattern(target, 0, 8 << 20, target_seed);

		// A healthy torrent in the same daemon, which must go on.
		healthy_source = dir.file("healthy.img");
		create_sparse_file(healthy_source, 4 << 20);
		fill_pattern(healthy_source, 0, 4 << 20, 7);
		healthy = whole_image_torrent(healthy_source, 1 << 20);
		ASSERT_TRUE(daemon->add(healthy, healthy_source, true).ok());
	}

	void TearDown() override
	{
		// The daemon survived everything, the healthy torrent is still
		// seeding, and no refused request wrote to the target.
		auto const t = daemon->status(info_hash_of(healthy));
		ASSERT_TRUE(t.has_value());
		EXPECT_TRUE(t->is_finished());
		EXPECT_TRUE(t->error().empty()) << t->error();
		EXPECT_FALSE(find_pattern_mismatch(target, 0, 8 << 20, target_seed)) << "the target was written to";
		EXPECT_EQ(daemon->shutdown(), 0);
	}

	// Expects AddTorrent to fail with `code` and a message containing `words`.
	void expect_refused(std::string const& torrent, std::string const& save_path, grpc::StatusCode code,
		std::string const& words, bool seeding = false)
	{
		auto const status = daemon->add(torrent, save_path, seeding);
		EXPECT_EQ(status.error_code(), code) << status.error_message();
		EXPECT_NE(status.error_message().find(words), std::string::npos)
			<< "message '" << status.error_message() << "' does not mention '" << words << "'";
	}

	ScratchDir dir;
	std::unique_ptr<TestDaemon> daemon;
	std::string target;
	std::string healthy_source;
	std::string healthy;
};

TEST_F(BadInput, GarbageTorrent)
{
	expect_refused("this is not a torrent", target, grpc::StatusCode::INVALID_ARGUMENT, "bencoding");
	expect_refused("", target, grpc::StatusCode::INVALID_ARGUMENT, "empty");
	// Truncated: the first half of a valid torrent.
	std::string const good = torrent_with_files({{"sda1/0000000000000000", 64 * 1024}});
	expect_refused(good.substr(0, good.size() / 2), target, grpc::StatusCode::INVALID_ARGUMENT, "bencoding");
	// Valid bencoding, but no info dictionary.
	expect_refused("d8:announce3:urle", target, grpc::StatusCode::INVALID_ARGUMENT, "not usable");
}

TEST_F(BadInput, DeeplyNestedBencoding)
{
	std::string const deep = std::string(100000, 'l') + std::string(100000, 'e');
	expect_refused(deep, target, grpc::StatusCode::INVALID_ARGUMENT, "bencoding");
}

TEST_F(BadInput, V2AndHybridTorrents)
{
	expect_refused(v2_torrent(dir, {}), target, grpc::StatusCode::INVALID_ARGUMENT, "hybrid");
	expect_refused(v2_torrent(dir, lt::create_torrent::v2_only), target, grpc::StatusCode::INVALID_ARGUMENT, "v2");
}

TEST_F(BadInput, ExtentNamesThatAreNotHexOffsets)
{
	expect_refused(torrent_with_files({{"sda1/0000000000000000", 16384}, {"sda1/readme.txt", 16384}}), target,
		grpc::StatusCode::INVALID_ARGUMENT, "readme.txt");
}

TEST_F(BadInput, OverlappingExtents)
{
	expect_refused(torrent_with_files({{"sda1/0000000000000000", 65536}, {"sda1/0000000000008000", 16384}}), target,
		grpc::StatusCode::INVALID_ARGUMENT, "overlap");
}

TEST_F(BadInput, MissingTarget)
{
	std::string const t = torrent_with_files({{"sda1/0000000000000000", 65536}});
	expect_refused(t, dir.file("no-such-device"), grpc::StatusCode::FAILED_PRECONDITION, "does not exist");
	expect_refused(t, "", grpc::StatusCode::INVALID_ARGUMENT, "empty");
}

TEST_F(BadInput, TargetTooSmallForTheLastExtent)
{
	// The target is 8 MiB; the extent ends at 8 MiB + 64 KiB.
	expect_refused(torrent_with_files({{"sda1/0000000000800000", 65536}}), target,
		grpc::StatusCode::FAILED_PRECONDITION, "needs");
}

TEST_F(BadInput, DirectoryAsRawTarget)
{
	expect_refused(torrent_with_files({{"sda1/0000000000000000", 65536}}), dir.path(),
		grpc::StatusCode::FAILED_PRECONDITION, "directory");
}

TEST_F(BadInput, TargetAlreadyUsedByAnotherTorrent)
{
	std::string const first = torrent_with_files({{"sda1/0000000000000000", 65536}});
	std::string const second = torrent_with_files({{"sda1/0000000000100000", 65536}});
	// The first one is accepted (it will wait for peers forever, harmlessly
	// writing nothing), the second one is refused.
	ASSERT_TRUE(daemon->add(first, target, false).ok());
	expect_refused(second, target, grpc::StatusCode::FAILED_PRECONDITION, "already used");
	// Also through another path to the same file.
	std::filesystem::create_symlink(target, dir.file("alias.img"));
	expect_refused(second, dir.file("alias.img"), grpc::StatusCode::FAILED_PRECONDITION, "already used");
	// The same torrent twice.
	expect_refused(first, target, grpc::StatusCode::ALREADY_EXISTS, "already added");
}

TEST_F(BadInput, MountedDevice)
{
	std::string const fs_image = dir.file("mounted.img");
	create_sparse_file(fs_image, 16 << 20);
	run_or_throw({"mkfs.ext4", "-q", "-F", fs_image});
	LoopDevice const device(fs_image);
	std::string const mount_point = dir.file("mnt");
	std::filesystem::create_directories(mount_point);
	run_or_throw({"mount", device.path(), mount_point});
	// Unmounted before the device is detached, also when an assertion fails.
	struct Unmount {
		std::string path;
		~Unmount() { run({"umount", path}); }
	} const unmount{mount_point};

	expect_refused(torrent_with_files({{"sda1/0000000000000000", 65536}}), device.path(),
		grpc::StatusCode::FAILED_PRECONDITION, "mounted");
}

TEST_F(BadInput, BadRequestFields)
{
	std::string const t = torrent_with_files({{"sda1/0000000000000000", 65536}});
	{
		ezio::AddRequest req;
		req.set_torrent(t);
		req.set_save_path(target);
		req.add_peers("not-an-endpoint");
		ezio::AddResponse resp;
		grpc::ClientContext ctx;
		auto const s = daemon->api().AddTorrent(&ctx, req, &resp);
		EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
		EXPECT_NE(s.error_message().find("not-an-endpoint"), std::string::npos) << s.error_message();
	}
	{
		ezio::AddRequest req;
		req.set_torrent(t);
		req.set_save_path(target);
		req.set_max_connections(-7);
		ezio::AddResponse resp;
		grpc::ClientContext ctx;
		EXPECT_EQ(daemon->api().AddTorrent(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
	}
	for (std::string const hash : {"", "xyz", "0123456789abcdef0123456789abcdef0123456g"}) {
		ezio::PauseTorrentRequest pause;
		pause.set_hash(hash);
		ezio::PauseTorrentResponse pr;
		grpc::ClientContext c1;
		EXPECT_EQ(daemon->api().PauseTorrent(&c1, pause, &pr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

		ezio::ResumeTorrentRequest resume;
		resume.set_hash(hash);
		ezio::ResumeTorrentResponse rr;
		grpc::ClientContext c2;
		EXPECT_EQ(daemon->api().ResumeTorrent(&c2, resume, &rr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

		ezio::UpdateRequest update;
		update.add_hashes(hash);
		ezio::UpdateStatus us;
		grpc::ClientContext c3;
		EXPECT_EQ(daemon->api().GetTorrentStatus(&c3, update, &us).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
	}
	// Well-formed but unknown.
	ezio::PauseTorrentRequest pause;
	pause.set_hash(std::string(40, 'a'));
	ezio::PauseTorrentResponse pr;
	grpc::ClientContext ctx;
	EXPECT_EQ(daemon->api().PauseTorrent(&ctx, pause, &pr).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(BadInput, CacheSizesOutOfRange)
{
	for (std::int32_t const megabytes : {0, -1, 1 << 30}) {
		ezio::CacheSizeRequest req;
		req.set_megabytes(megabytes);
		ezio::CacheSizeResponse resp;
		grpc::ClientContext ctx;
		auto const s = daemon->api().SetCacheSize(&ctx, req, &resp);
		EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << megabytes << ": " << s.error_message();
	}
}

// Bytes that are not the request message, or the right fields with the
// wrong wire types, sent to every method as a foreign client could.
TEST_F(BadInput, PayloadsThatAreNotTheRequestMessage)
{
	grpc::GenericStub stub(daemon->channel());
	auto call = [&](std::string const& method, std::string const& payload) {
		grpc::Slice slice(payload);
		grpc::ByteBuffer request(&slice, 1);
		grpc::ClientContext ctx;
		ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
		grpc::CompletionQueue queue;
		auto reader = stub.PrepareUnaryCall(&ctx, "/ezio.EZIO/" + method, request, &queue);
		reader->StartCall();
		grpc::ByteBuffer response;
		grpc::Status status;
		reader->Finish(&response, &status, reinterpret_cast<void*>(1));
		void* tag = nullptr;
		bool ok = false;
		EXPECT_TRUE(queue.Next(&tag, &ok));
		return status;
	};
	std::string const not_protobuf = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
	// Field 1 (torrent / hash / megabytes) and 2 with wire types that do not
	// fit: a varint for bytes, a length for a number, a group start.
	std::string const varint_for_string = std::string("\x08\x96\x01\x10\x01", 5);
	std::string const length_for_number = std::string("\x0a\x03" "abc" "\x12\x02" "zz", 9);
	std::string const group = std::string("\x0b\x0c", 2);
	std::vector<std::string> const payloads{not_protobuf, varint_for_string, length_for_number, group};
	for (std::string const method : {"AddTorrent", "PauseTorrent", "ResumeTorrent"}) {
		for (std::size_t i = 0; i < payloads.size(); ++i)
			EXPECT_FALSE(call(method, payloads[i]).ok()) << method << " accepted payload #" << i;
	}
	// SetCacheSize's field 1 is a number: a varint is its right type.
	for (auto const& payload : {not_protobuf, length_for_number, group})
		EXPECT_FALSE(call("SetCacheSize", payload).ok());
	// Protobuf keeps fields of the wrong wire type as unknown fields, so
	// these parse as an empty request: for GetTorrentStatus a valid one (no
	// filter). Requests without a message at all must not fall over either.
	EXPECT_FALSE(call("GetTorrentStatus", not_protobuf).ok());
	for (auto const& payload : payloads) call("GetTorrentStatus", payload);
	call("GetVersion", not_protobuf);
	call("NoSuchMethod", "");
	EXPECT_EQ(call("NoSuchMethod", "").error_code(), grpc::StatusCode::UNIMPLEMENTED);
	ezio::Empty empty;
	ezio::VersionResponse version;
	grpc::ClientContext ctx;
	EXPECT_TRUE(daemon->api().GetVersion(&ctx, empty, &version).ok());
}

// -F: a seed whose extent files are not where the torrent says (the
// directory one level too deep, a file cut short) is refused with the path,
// instead of showing "downloading 0.0 %" for ever.
TEST(FileModeSeed, WithoutItsFilesIsRefusedWithThePath)
{
	ScratchDir dir;
	TestDaemon daemon(dir, "file-mode", {"-F"});
	std::string const torrent = torrent_with_files({{"sda1/0000000000000000", 65536}});
	std::string const image = dir.file("btzone");
	std::filesystem::create_directories(image + "/sda1");
	std::string const file = image + "/sda1/0000000000000000";
	create_sparse_file(file, 100);

	auto const too_deep = daemon.add(torrent, image + "/sda1", true);
	EXPECT_EQ(too_deep.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << too_deep.error_message();
	EXPECT_NE(too_deep.error_message().find(image + "/sda1/sda1/0000000000000000' is missing"), std::string::npos)
		<< too_deep.error_message();
	auto const short_file = daemon.add(torrent, image, true);
	EXPECT_EQ(short_file.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << short_file.error_message();
	EXPECT_NE(short_file.error_message().find("holds 100 bytes"), std::string::npos) << short_file.error_message();

	create_sparse_file(file, 65536);
	EXPECT_TRUE(daemon.add(torrent, image, true).ok());
	EXPECT_EQ(daemon.shutdown(), 0);
}

}  // namespace
}  // namespace ezio::test
