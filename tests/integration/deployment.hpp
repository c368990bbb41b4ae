// Checks shared by the deployment tests.
#pragma once

#include <functional>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

#include "chunk/layout.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/test_daemon.hpp"

namespace ezio::test {

// A loop block device over a file, detached when the test ends: the first
// free one, or the device `at` names. Throws std::runtime_error if losetup
// fails (`at` is taken, say).
class LoopDevice {
public:
	explicit LoopDevice(std::string const& file, bool read_only = false, std::string const& at = {})
	{
		std::vector<std::string> argv{"losetup"};
		if (at.empty()) argv.insert(argv.end(), {"--find", "--show"});
		else argv.push_back(at);
		if (read_only) argv.push_back("--read-only");
		argv.push_back(file);
		m_device = run_or_throw(argv);
		if (!at.empty()) m_device = at;
		while (!m_device.empty() && m_device.back() == '\n') m_device.pop_back();
	}
	~LoopDevice() { run({"losetup", "-d", m_device}); }
	LoopDevice(LoopDevice const&) = delete;
	LoopDevice& operator=(LoopDevice const&) = delete;
	std::string const& path() const { return m_device; }

private:
	std::string m_device;
};

// A golden image of `size` bytes holding a pattern, and its whole-image
// torrent: what the swarm tests deploy.
struct GoldenImage {
	std::string path;
	std::string torrent;
	std::string hash;
};

inline GoldenImage make_golden_image(ScratchDir const& dir, std::int64_t size, std::uint64_t seed,
	int piece_length = 1 << 20)
{
	GoldenImage image;
	image.path = dir.file("golden.img");
	create_sparse_file(image.path, size);
	fill_pattern(image.path, 0, size, seed);
	image.torrent = whole_image_torrent(image.path, piece_length);
	image.hash = info_hash_of(image.torrent);
	return image;
}

// A target of `size` bytes holding fill_pattern(seed) everywhere, so that
// bytes a deployment must not touch can be checked afterwards.
inline std::string patterned_target(ScratchDir const& dir, std::uint64_t seed, std::string const& name, std::int64_t size)
{
	std::string const path = dir.file(name);
	create_sparse_file(path, size);
	fill_pattern(path, 0, size, seed);
	return path;
}

// PauseTorrent (or ResumeTorrent) of `hash` on `daemon`, which must succeed.
inline void set_paused(TestDaemon& daemon, std::string const& hash, bool paused)
{
	grpc::ClientContext ctx;
	if (paused) {
		ezio::PauseTorrentRequest req;
		ezio::PauseTorrentResponse resp;
		req.set_hash(hash);
		ASSERT_TRUE(daemon.api().PauseTorrent(&ctx, req, &resp).ok());
	} else {
		ezio::ResumeTorrentRequest req;
		ezio::ResumeTorrentResponse resp;
		req.set_hash(hash);
		ASSERT_TRUE(daemon.api().ResumeTorrent(&ctx, req, &resp).ok());
	}
}

// Every byte of every extent of `target` equals `source`'s.
inline void expect_extents_equal(std::string const& source, std::string const& target,
	std::vector<torrent::Extent> const& extents)
{
	for (auto const& e : extents) {
		auto const diff = find_difference(source, target, e.offset, e.length);
		EXPECT_FALSE(diff) << "target differs from source at byte " << *diff << " (extent at " << e.offset
						   << ", " << e.length << " bytes)";
		if (diff) return;
	}
}

// Every byte of every gap still holds the pattern the target was filled with.
inline void expect_gaps_untouched(std::string const& target, std::vector<torrent::Extent> const& gaps,
	std::uint64_t seed)
{
	for (auto const& g : gaps) {
		auto const bad = find_pattern_mismatch(target, g.offset, g.length, seed);
		EXPECT_FALSE(bad) << "a gap was written to at byte " << *bad << " (gap at " << g.offset << ", " << g.length
						  << " bytes)";
		if (bad) return;
	}
}

// The same torrent (same info-hash) with `url` as its tracker.
inline std::string with_tracker(std::string const& torrent, std::string const& url)
{
	lt::error_code ec;
	lt::bdecode_node const node = lt::bdecode(torrent, ec);
	if (ec) throw std::runtime_error("bad torrent");
	lt::entry e;
	e = node;
	e["announce"] = url;
	std::string out;
	lt::bencode(std::back_inserter(out), e);
	return out;
}

// The chunked torrent with its chunk list changed by `edit`, and a new
// info-hash.
inline std::string edited(std::string const& torrent, std::function<void(lt::entry&)> const& edit)
{
	lt::error_code ec;
	lt::bdecode_node const node = lt::bdecode(torrent, ec);
	if (ec) throw std::runtime_error("bad torrent");
	lt::entry e;
	e = node;
	edit(e["info"][chunk::info_key]);
	std::string out;
	lt::bencode(std::back_inserter(out), e);
	return out;
}

inline int tracker_port(TestDaemon const& daemon)
{
	std::smatch match;
	std::string const log = daemon.log();
	static std::regex const pattern("tracker listening on http://[0-9.]+:([0-9]+)/announce");
	return std::regex_search(log, match, pattern) ? std::stoi(match[1]) : 0;
}

// The announce URL of the tracker `daemon` runs (--tracker) on loopback,
// or "" if its log does not say where it listens.
inline std::string tracker_url(TestDaemon const& daemon, std::string const& scheme = "http")
{
	int const port = tracker_port(daemon);
	return port > 0 ? scheme + "://127.0.0.1:" + std::to_string(port) + "/announce" : std::string{};
}

}  // namespace ezio::test
