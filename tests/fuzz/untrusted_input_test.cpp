// Hostile input: hand-made .torrent files that must be refused, and a
// seeded mutation fuzzer over valid torrents and torrent.info files that must
// never crash, hang or accept something unsound. The fuzzer runs for a
// bounded time in ctest (EZIO_FUZZ_SECONDS, default 3 per corpus); the same
// checks run under libFuzzer with scripts/fuzz.
#include "fuzz/untrusted_input.hpp"

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/write_resume_data.hpp>

#include "chunk/codec.hpp"
#include "chunk/layout.hpp"
#include "daemon/resume_store.hpp"
#include "storage/extent_map.hpp"
#include "torrent/chunk_maker.hpp"
#include "torrent/companion.hpp"
#include "torrent/partclone_info.hpp"
#include "torrent/torrent_builder.hpp"
#include "torrent/torrent_file.hpp"
#include "swarm/companion_advert.hpp"
#include "swarm/peer_count.hpp"
#include "tracker/udp_datagrams.hpp"
#include "tracker/udp_protocol.hpp"

namespace ezio::fuzz {
namespace {

// A torrent whose info dictionary the case shapes by hand.
struct FileEntry {
	std::string name;
	std::int64_t length;
};

std::string hand_made(std::vector<FileEntry> const& files, std::int64_t piece_length, std::int64_t num_hashes,
	std::string const& name = "sda1")
{
	lt::entry torrent;
	lt::entry& info = torrent["info"];
	info["name"] = name;
	info["piece length"] = piece_length;
	info["pieces"] = std::string(std::size_t(num_hashes) * 20, 'x');
	if (files.size() == 1 && files[0].name.empty()) {
		info["length"] = files[0].length;
	} else {
		lt::entry::list_type list;
		for (auto const& f : files) {
			lt::entry file;
			file["length"] = f.length;
			file["path"] = lt::entry::list_type{lt::entry(f.name)};
			list.push_back(file);
		}
		info["files"] = list;
	}
	std::string out;
	lt::bencode(std::back_inserter(out), torrent);
	return out;
}

std::int64_t const mib = 1 << 20;

struct HostileCase {
	char const* name;
	std::string data;
};

// Every one must be refused with an error (not accepted, not a crash).
std::vector<HostileCase> hostile_torrents()
{
	std::string const good = hand_made({{"00000000", 4 * mib}}, mib, 4);
	std::vector<HostileCase> cases{
		{"truncated", good.substr(0, good.size() / 2)},
		{"truncated_by_one", good.substr(0, good.size() - 1)},
		{"empty", ""},
		{"not_a_dict", "i42e"},
		{"deep_nesting", std::string(100'000, 'l') + std::string(100'000, 'e')},
		{"deep_dicts", [] {
			 std::string s;
			 for (int i = 0; i < 10'000; ++i) s += "d1:a";
			 return s + "i0e" + std::string(10'000, 'e');
		 }()},
		{"huge_string_length", "d4:infod4:name99999999999999999999:x"},
		{"leading_zero_int", "d4:infod12:piece lengthi016384eee"},
		{"negative_zero_int", "d4:infod12:piece lengthi-0eee"},
		{"negative_file_length", hand_made({{"00000000", -4 * mib}}, mib, 4)},
		{"huge_file_length", hand_made({{"00000000", std::int64_t(1) << 62}}, mib, 4)},
		{"lengths_overflow_together", hand_made({{"00000000", (std::int64_t(1) << 62) + 5},
			{"4000000000000000", (std::int64_t(1) << 62) + 5}}, mib, 4)},
		{"piece_length_zero", hand_made({{"00000000", 4 * mib}}, 0, 4)},
		{"piece_length_negative", hand_made({{"00000000", 4 * mib}}, -mib, 4)},
		{"piece_length_huge", hand_made({{"00000000", 4 * mib}}, std::int64_t(1) << 40, 1)},
		{"too_few_hashes", hand_made({{"00000000", 4 * mib}}, mib, 3)},
		{"absurd_piece_count", hand_made({{"00000000", 4 * mib}}, mib, 3'000'000)},
		{"over_the_size_limit", std::string(std::size_t(torrent::max_torrent_bytes) + 1, 'd')},
		{"overlapping_extents", hand_made({{"00000000", 2 * mib}, {"00100000", 2 * mib}}, mib, 4)},
		{"unsorted_extents", hand_made({{"00200000", 2 * mib}, {"00000000", 2 * mib}}, mib, 4)},
		{"negative_offset", hand_made({{"-0100000", 4 * mib}}, mib, 4)},
		{"not_hex_offset", hand_made({{"0000zz00", 4 * mib}}, mib, 4)},
		{"offset_beyond_2_63", hand_made({{"8000000000000000", 4 * mib}}, mib, 4)},
		{"extent_end_beyond_2_63", hand_made({{"7fffffffffffff00", 4 * mib}}, mib, 4)},
		{"33_hex_digits", hand_made({{"000000000000000000000000000000000", 4 * mib}}, mib, 4)},
		{"path_escape", hand_made({{"..", 4 * mib}}, mib, 4)},
	};
	// A v2 torrent: refused by name.
	{
		lt::entry torrent;
		torrent["info"]["name"] = "sda1";
		torrent["info"]["piece length"] = mib;
		torrent["info"]["meta version"] = 2;
		torrent["info"]["file tree"]["00000000"][""]["length"] = 4 * mib;
		torrent["info"]["file tree"]["00000000"][""]["pieces root"] = std::string(32, 'r');
		std::string out;
		lt::bencode(std::back_inserter(out), torrent);
		cases.push_back({"v2_only", out});
	}
	return cases;
}

// An input that takes longer than this is a hang or a blow-up (quadratic
// work, a huge allocation), not slowness: the bound is loose on purpose,
// and ten times looser under the sanitizers, whose builds run 5-15x slower
// on a busy CI host (TSan once took 2.5 s to refuse a 3-million-piece
// torrent that takes 0.2 s in the release build).
std::chrono::milliseconds slow_input_limit(std::chrono::milliseconds plain)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return plain * 10;
#else
	return plain;
#endif
}

TEST(HostileTorrents, AreRefusedWithAnError)
{
	for (auto const& c : hostile_torrents()) {
		SCOPED_TRACE(c.name);
		auto const start = std::chrono::steady_clock::now();
		auto const info = torrent::load_torrent(c.data);
		bool const usable = info && storage::ExtentMap::build((*info)->files());
		EXPECT_FALSE(usable) << c.name << " was accepted";
		if (info && !usable) {
			EXPECT_FALSE(storage::ExtentMap::build((*info)->files()).error().empty());
		} else if (!info) {
			EXPECT_FALSE(info.error().empty());
		}
		EXPECT_LT(std::chrono::steady_clock::now() - start, slow_input_limit(std::chrono::seconds(2)))
			<< c.name << " took too long";
	}
}

TEST(HostileTorrents, TheBaseOfTheHandMadeCasesIsAccepted)
{
	// Otherwise the cases above would prove nothing.
	std::string const good = hand_made({{"00000000", 2 * mib}, {"00300000", 2 * mib}}, mib, 4);
	auto const info = torrent::load_torrent(good);
	ASSERT_TRUE(info) << info.error();
	EXPECT_TRUE(storage::ExtentMap::build((*info)->files()));
	EXPECT_FALSE(check_torrent(good));
}

// --- seeded mutation fuzzing -------------------------------------------

class Mutator {
public:
	explicit Mutator(std::uint64_t seed) : m_random(seed) {}

	std::string mutate(std::string input)
	{
		int const rounds = 1 + int(pick(4));
		for (int i = 0; i < rounds; ++i) mutate_once(input);
		return input;
	}

private:
	std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::size_t(m_random() % n); }

	void mutate_once(std::string& s)
	{
		static char const* const numbers[] = {"0", "-1", "1", "16384", "2147483647", "2147483648", "-2147483649",
			"9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
			"99999999999999999999999", "ffffffffffffffff", "7fffffffffffffff"};
		static char const interesting[] = "0123456789abcdefilde:-\n ";
		std::size_t const at = pick(s.size() + 1);
		switch (pick(8)) {
		case 0:  // flip a bit
			if (!s.empty()) s[pick(s.size())] ^= char(1 << pick(8));
			break;
		case 1:  // an interesting byte
			if (!s.empty()) s[pick(s.size())] = interesting[pick(sizeof(interesting) - 1)];
			break;
		case 2:  // delete a range
			s.erase(at, pick(64));
			break;
		case 3:  // duplicate a range
			if (at < s.size()) s.insert(at, s.substr(at, pick(64)));
			break;
		case 4:  // truncate
			s.resize(pick(s.size() + 1));
			break;
		case 5: {  // replace a run of digits with an interesting number
			std::size_t begin = at;
			while (begin < s.size() && !std::isxdigit(static_cast<unsigned char>(s[begin]))) ++begin;
			std::size_t end = begin;
			while (end < s.size() && std::isxdigit(static_cast<unsigned char>(s[end]))) ++end;
			if (begin < s.size()) s.replace(begin, end - begin, numbers[pick(std::size(numbers))]);
			break;
		}
		case 6:  // nest deeply
			s.insert(at, std::string(pick(2000), 'l'));
			break;
		default:  // splice a random byte in
			s.insert(at, 1, char(pick(256)));
			break;
		}
	}

	std::mt19937_64 m_random;
};

double fuzz_seconds()
{
	char const* v = std::getenv("EZIO_FUZZ_SECONDS");
	return v ? std::atof(v) : 3.0;
}

// Mutates the corpus for the time budget; every input must be handled
// fast and soundly. Returns the number of inputs tried.
template <typename Check>
int fuzz(std::vector<std::string> const& corpus, Check check, std::uint64_t seed)
{
	Mutator mutator(seed);
	auto const until = std::chrono::steady_clock::now()
		+ std::chrono::milliseconds(static_cast<long>(fuzz_seconds() * 1000));
	int tried = 0;
	while (std::chrono::steady_clock::now() < until) {
		std::string const input = mutator.mutate(corpus[std::size_t(tried) % corpus.size()]);
		auto const start = std::chrono::steady_clock::now();
		auto const broken = check(input);
		auto const took = std::chrono::steady_clock::now() - start;
		++tried;
		if (broken) {
			ADD_FAILURE() << "accepted an unsound input (" << *broken << "); seed " << seed << ", input #" << tried;
			return tried;
		}
		if (took > slow_input_limit(std::chrono::seconds(1))) {
			ADD_FAILURE() << "an input took " << std::chrono::duration<double>(took).count() << " s; seed " << seed
						  << ", input #" << tried;
			return tried;
		}
	}
	return tried;
}

std::vector<std::string> torrent_corpus()
{
	std::vector<std::string> corpus;
	auto add = [&](torrent::TorrentSpec spec) {
		std::int64_t used = 0;
		for (auto const& e : spec.extents) used += e.length;
		// Any non-zero hashes will do (libtorrent takes all-zero as "unset").
		spec.piece_hashes.assign(std::size_t((used + spec.piece_length - 1) / spec.piece_length),
			lt::sha1_hash("0123456789abcdefghij"));
		auto built = torrent::build_torrent(spec);
		EXPECT_TRUE(built) << built.error();
		if (built) corpus.push_back(*built);
	};
	add({"sda1", 16 << 20, {{0, 1 << 20}, {3 << 20, 40 << 20}, {std::int64_t(5) << 40, 8192}}, {}});
	add({"sdb2", 16384, {{4096, 40000}, {65536, 4096}}, {}});
	torrent::TorrentSpec whole{"disk", 1 << 20, {{0, 10 << 20}}, {}};
	whole.single_file = true;
	add(whole);
	add({"p", 1 << 20, {{0, 1}, {2, 1}, {4, 1}, {6, (1 << 20) + 5}}, {}, false, {"http://tracker:6969/announce"},
		"ezio"});
	return corpus;
}

TEST(Fuzz, TorrentsNeverCrashHangOrPassUnsound)
{
	auto const corpus = torrent_corpus();
	ASSERT_EQ(corpus.size(), 4u);
	for (auto const& c : corpus) ASSERT_FALSE(check_torrent(c));
	int accepted = 0;  // mutants that are still valid torrents: the fuzzer reaches past the parser
	int const tried = fuzz(corpus, [&](std::string_view input) {
		auto const info = torrent::load_torrent(input);
		if (info && storage::ExtentMap::build((*info)->files())) ++accepted;
		return check_torrent(input);
	}, 20261127);
	std::printf("mutated torrents tried: %d, accepted: %d\n", tried, accepted);
	EXPECT_GT(tried, 100);
	EXPECT_GT(accepted, 0);
}

std::vector<std::string> chunked_corpus()
{
	std::vector<std::string> corpus;
	auto add = [&](std::int64_t window, std::vector<chunk::Chunk> chunks, std::optional<lt::sha1_hash> companion_of = {}) {
		chunk::Layout layout;
		layout.companion_of = companion_of;
		layout.window = window;
		layout.codec_version = chunk::codec_version();
		layout.chunks = std::move(chunks);
		layout.piece_hashes.assign(layout.chunks.size(), lt::sha1_hash("0123456789abcdefghij"));
		auto built = torrent::build_chunked_torrent({"sda1", {}, "ezio"}, layout);
		EXPECT_TRUE(built) << built.error();
		if (built) corpus.push_back(*built);
	};
	add(1 << 20, {{0, {{0, 4096}, {8192, 100000}}, 104096, 5000, chunk::Codec::zstd, {}},
		{3 << 20, {{0, 1 << 20}}, 1 << 20, 1 << 20, chunk::Codec::stored, {}},
		{std::int64_t(7) << 40, {{12288, 4096}}, 4096, 4096, chunk::Codec::stored, {}}});
	add(64 << 10, {{64 << 10, {{1, 2}, {5, 100}}, 102, 30, chunk::Codec::zstd, {}}});
	// A companion (docs/format.md, "The companion transfer").
	add(4 << 20, {{0, {{4096, 8192}}, 8192, 900, chunk::Codec::zstd, {}}}, lt::sha1_hash("t's info-hash, 20 b."));
	return corpus;
}

TEST(Fuzz, ChunkedTorrentsNeverCrashHangOrPassUnsound)
{
	auto const corpus = chunked_corpus();
	ASSERT_EQ(corpus.size(), 3u);
	// The torrent a companion in the corpus could stand in for.
	torrent::TorrentSpec spec;
	spec.name = "sda1";
	spec.piece_length = 16 << 10;
	spec.extents = {{4096, 8192}};
	spec.piece_hashes.assign(1, lt::sha1_hash("0123456789abcdefghij"));
	auto const t = torrent::load_torrent(*torrent::build_torrent(spec));
	ASSERT_TRUE(t);
	for (auto const& c : corpus) {
		ASSERT_FALSE(check_torrent(c));
		auto const info = torrent::load_torrent(c);
		ASSERT_TRUE(info && chunk::read_layout(**info) && chunk::read_layout(**info)->has_value());
	}
	int accepted = 0;
	int const tried = fuzz(corpus, [&](std::string_view input) {
		auto const info = torrent::load_torrent(input);
		if (info) {
			auto const layout = chunk::read_layout(**info);
			if (layout && layout->has_value()) {
				++accepted;
				(void)torrent::check_companion(**layout, **t);
			}
		}
		return check_torrent(input);
	}, 20261202);
	std::printf("mutated chunked torrents tried: %d, accepted: %d\n", tried, accepted);
	EXPECT_GT(tried, 100);
	EXPECT_GT(accepted, 0);
}

TEST(Fuzz, ChunkFramesNeverCrashHangOrPassUnsound)
{
	Bytes stored;
	std::string const text(3000, 'a');
	ASSERT_EQ(chunk::encode(text, 3, stored), chunk::Codec::zstd);
	std::string frame{char(2999 & 0xff), char(2999 >> 8)};
	frame.append(stored.begin(), stored.end());
	std::vector<std::string> const corpus{frame};
	int const tried = fuzz(corpus, [](std::string_view input) { return check_chunk_frame(input); }, 20261203);
	std::printf("mutated chunk frames tried: %d\n", tried);
	EXPECT_GT(tried, 100);
}

TEST(Fuzz, PartcloneInfoNeverCrashesHangsOrPassesUnsound)
{
	std::vector<std::string> const corpus{
		"block_size: 4096\nblocks_total: 262144\n"
		"offset: 00000000000000000000000000000000\nlength: 00000000000000000000000000100000\n"
		"offset: 00000000000000000000000000300000\nlength: 00000000000000000000000000f00000\n"
		"sha1: 6fd7ba1c1079eb318837c0b0df101b8987197be5\n"
		"offset: 00000000000000000000000004000000\nlength: 00000000000000000000000000001000\n"
		"sha1: c6196e315b3570062b2706686072fb70c2dbf573\n",
		"offset: 0\nlength: 1000\nsha1: 6fd7ba1c1079eb318837c0b0df101b8987197be5\n"};
	for (auto const& c : corpus) ASSERT_TRUE(torrent::parse_partclone_info(c)) << c;
	int accepted = 0;
	int const tried = fuzz(corpus, [&](std::string_view input) {
		if (torrent::parse_partclone_info(input)) ++accepted;
		return check_partclone_info(input);
	}, 20261128);
	std::printf("mutated torrent.info files tried: %d, accepted: %d\n", tried, accepted);
	EXPECT_GT(tried, 100);
	EXPECT_GT(accepted, 0);
}

TEST(Fuzz, ResumeRecordsNeverCrashHangOrPassUnsound)
{
	// A real record as the daemon writes it, and a minimal one.
	lt::add_torrent_params params;
	params.info_hashes.v1 = lt::sha1_hash("0123456789abcdefghij");
	params.have_pieces.resize(64, false);
	params.have_pieces.set_bit(lt::piece_index_t(3));
	lt::entry full = lt::write_resume_data(params);
	full["ezio-target-path"] = "/dev/sdb1";
	full["ezio-target-device"] = 0x0811;
	full["ezio-target-inode"] = 0;
	full["ezio-target-size"] = 1 << 30;
	full["ezio-stamp"] = "boot=b;block=w=1/8/0/0;disk-w=1/8/0/0;seq=3";
	std::string real;
	lt::bencode(std::back_inserter(real), full);
	std::vector<std::string> const corpus{real,
		"d9:info-hash20:0123456789abcdefghij16:ezio-target-path1:/18:ezio-target-devicei1e17:ezio-target-inodei2e"
		"16:ezio-target-sizei3e6:pieces3:\x01\x02\x01" "e"};
	for (auto const& c : corpus) ASSERT_TRUE(daemon::parse_record(c, std::nullopt, 64)) << c;
	int accepted = 0;
	int const tried = fuzz(corpus, [&](std::string_view input) {
		if (daemon::parse_record(input, std::nullopt, 64)) ++accepted;
		return check_resume_record(input);
	}, 20261201);
	std::printf("mutated resume records tried: %d, accepted: %d\n", tried, accepted);
	EXPECT_GT(tried, 100);
	EXPECT_GT(accepted, 0);
}

TEST(Fuzz, UdpTrackerDatagramsNeverCrashHangOrPassUnsound)
{
	std::vector<std::string> const corpus{tracker::testing::udp_connect(7),
		tracker::testing::udp_announce({42, 7, 'h', 10, 2, 50, 6881})};
	for (auto const& c : corpus) ASSERT_TRUE(tracker::parse_udp_request(c)) << c.size();
	int accepted = 0;
	int const tried = fuzz(corpus, [&](std::string_view input) {
		if (tracker::parse_udp_request(input)) ++accepted;
		return check_udp_datagram(input);
	}, 20261202);
	std::printf("mutated UDP tracker datagrams tried: %d, accepted: %d\n", tried, accepted);
	EXPECT_GT(tried, 100);
	EXPECT_GT(accepted, 0);
}

TEST(Fuzz, PeerCountsNeverCrashHangOrPassUnsound)
{
	lt::entry handshake;
	handshake["m"]["ut_metadata"] = 2;
	swarm::add_peer_count(handshake, 5);
	swarm::add_companion_advert(handshake, lt::sha1_hash("c(t)'s info-hash 20b"));
	std::string real;
	lt::bencode(std::back_inserter(real), handshake);
	lt::entry declining;
	swarm::add_no_companion(declining);
	std::string declines;
	lt::bencode(std::back_inserter(declines), declining);
	std::string const message = swarm::peer_count_message(42, 3).substr(6);
	std::vector<std::string> const corpus{real, declines, message};
	ASSERT_TRUE(swarm::parse_peer_count({message.data(), std::ptrdiff_t(message.size())}));
	int accepted = 0;
	int const tried = fuzz(corpus, [&](std::string_view input) {
		if (swarm::parse_peer_count({input.data(), std::ptrdiff_t(input.size())})) ++accepted;
		return check_peer_count(input);
	}, 20261206);
	std::printf("mutated peer counts tried: %d, accepted: %d\n", tried, accepted);
	EXPECT_GT(tried, 100);
	EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace ezio::fuzz
