#include "support/scratch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/hex.hpp"
#include "support/process.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_builder.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::test {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t chunk = 1 << 20;

struct Fd {
	explicit Fd(std::string const& path, int flags) : fd(::open(path.c_str(), flags | O_CLOEXEC, 0644))
	{
		if (fd < 0) throw std::runtime_error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
	}
	~Fd() { ::close(fd); }
	int fd;
};

void pread_all(int fd, char* buf, std::size_t len, std::int64_t offset)
{
	while (len > 0) {
		ssize_t const n = ::pread(fd, buf, len, offset);
		if (n <= 0) throw std::runtime_error(fmt::format("short read at {}", offset));
		buf += n;
		len -= std::size_t(n);
		offset += n;
	}
}

void pwrite_all(int fd, char const* buf, std::size_t len, std::int64_t offset)
{
	while (len > 0) {
		ssize_t const n = ::pwrite(fd, buf, len, offset);
		if (n <= 0) throw std::runtime_error(fmt::format("short write at {}", offset));
		buf += n;
		len -= std::size_t(n);
		offset += n;
	}
}

// The pattern word at an 8-byte aligned position.
std::uint64_t pattern_word(std::int64_t position, std::uint64_t seed)
{
	std::uint64_t x = std::uint64_t(position) * 0x9E3779B97F4A7C15ull ^ seed;
	x ^= x >> 31;
	return x * 0xBF58476D1CE4E5B9ull;
}

void pattern_bytes(char* out, std::int64_t position, std::size_t length, std::uint64_t seed)
{
	for (std::size_t i = 0; i < length; ++i) {
		std::int64_t const at = position + std::int64_t(i);
		std::uint64_t const word = pattern_word(at & ~std::int64_t(7), seed);
		out[i] = char(word >> ((at & 7) * 8));
	}
}

void write_random_file(std::string const& path, std::size_t size, std::mt19937_64& rng)
{
	std::vector<std::uint64_t> words((size + 7) / 8);
	for (auto& w : words) w = rng();
	write_file(path, std::string(reinterpret_cast<char const*>(words.data()), size));
}

}  // namespace

void create_sparse_file(std::string const& path, std::int64_t size)
{
	Fd f(path, O_RDWR | O_CREAT | O_TRUNC);
	if (::ftruncate(f.fd, size) != 0) throw std::runtime_error("ftruncate failed: " + std::string(std::strerror(errno)));
}

void fill_pattern(std::string const& path, std::int64_t offset, std::int64_t length, std::uint64_t seed)
{
	Fd f(path, O_WRONLY);
	std::vector<char> buf(chunk);
	while (length > 0) {
		std::size_t const n = std::size_t(std::min<std::int64_t>(length, std::int64_t(chunk)));
		pattern_bytes(buf.data(), offset, n, seed);
		pwrite_all(f.fd, buf.data(), n, offset);
		offset += std::int64_t(n);
		length -= std::int64_t(n);
	}
}

std::optional<std::int64_t> find_pattern_mismatch(std::string const& path, std::int64_t offset, std::int64_t length,
	std::uint64_t seed)
{
	Fd f(path, O_RDONLY);
	std::vector<char> want(chunk), got(chunk);
	while (length > 0) {
		std::size_t const n = std::size_t(std::min<std::int64_t>(length, std::int64_t(chunk)));
		pattern_bytes(want.data(), offset, n, seed);
		pread_all(f.fd, got.data(), n, offset);
		if (std::memcmp(want.data(), got.data(), n) != 0) {
			for (std::size_t i = 0; i < n; ++i)
				if (want[i] != got[i]) return offset + std::int64_t(i);
		}
		offset += std::int64_t(n);
		length -= std::int64_t(n);
	}
	return std::nullopt;
}

std::optional<std::int64_t> find_difference(std::string const& a, std::string const& b, std::int64_t offset,
	std::int64_t length)
{
	Fd fa(a, O_RDONLY), fb(b, O_RDONLY);
	std::vector<char> ba(chunk), bb(chunk);
	while (length > 0) {
		std::size_t const n = std::size_t(std::min<std::int64_t>(length, std::int64_t(chunk)));
		pread_all(fa.fd, ba.data(), n, offset);
		pread_all(fb.fd, bb.data(), n, offset);
		if (std::memcmp(ba.data(), bb.data(), n) != 0) {
			for (std::size_t i = 0; i < n; ++i)
				if (ba[i] != bb[i]) return offset + std::int64_t(i);
		}
		offset += std::int64_t(n);
		length -= std::int64_t(n);
	}
	return std::nullopt;
}

std::vector<torrent::Extent> gaps_between(std::vector<torrent::Extent> const& extents, std::int64_t size)
{
	std::vector<torrent::Extent> gaps;
	std::int64_t position = 0;
	for (auto const& e : extents) {
		if (e.offset > position) gaps.push_back({position, e.offset - position});
		position = std::max(position, e.offset + e.length);
	}
	if (size > position) gaps.push_back({position, size - position});
	return gaps;
}

Ext4Image make_ext4_image(ScratchDir const& dir, std::string const& name, int size_mib, int data_mib,
	std::uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::string const content = dir.file(name + "-content");
	fs::create_directories(content + "/nested/deeper");
	// Files of uneven sizes so that the used blocks form many extents, and a
	// few deleted ones so that ext4 leaves holes between them.
	std::int64_t remaining = std::int64_t(data_mib) << 20;
	for (int i = 0; remaining > 0; ++i) {
		std::size_t const size = std::size_t(std::min<std::int64_t>(remaining, 4096 + std::int64_t(rng() % (3 << 20))));
		std::string const sub = i % 3 == 0 ? "/" : i % 3 == 1 ? "/nested/" : "/nested/deeper/";
		write_random_file(fmt::format("{}{}file{:03}.bin", content, sub, i), size, rng);
		remaining -= std::int64_t(size);
	}

	Ext4Image image;
	image.path = dir.file(name + ".img");
	image.size = std::int64_t(size_mib) << 20;
	// Small block groups without flex_bg scatter metadata over the image, so
	// the used blocks form dozens of extents with gaps between them.
	run_or_throw({"mkfs.ext4", "-q", "-F", "-b", "4096", "-g", "1024", "-O", "^flex_bg", "-E",
		"lazy_itable_init=0,lazy_journal_init=0", "-d", content, image.path, fmt::format("{}M", size_mib)});

	std::string const out = dir.file(name + "-partclone");
	fs::create_directories(out);
	run_or_throw({"partclone.extfs", "-q", "-c", "-t", "-s", image.path, "-O", out, "-z", std::to_string(partclone_piece_length)});
	auto info = torrent::parse_partclone_info(read_file(out + "/torrent.info"));
	if (!info) throw std::runtime_error("partclone wrote an unreadable torrent.info: " + info.error());
	image.info = std::move(info.value());
	fs::remove_all(content);
	fs::remove_all(out);
	return image;
}

std::string partclone_torrent(Ext4Image const& image, std::string const& name)
{
	torrent::TorrentSpec spec;
	spec.name = name;
	spec.piece_length = partclone_piece_length;
	spec.extents = image.info.extents;
	spec.piece_hashes = image.info.piece_hashes;
	auto t = torrent::build_torrent(spec);
	if (!t) throw std::runtime_error(t.error());
	return t.value();
}

std::string extents_torrent(std::string const& path, std::vector<torrent::Extent> const& extents,
	std::string const& name, int piece_length)
{
	auto hashes = torrent::hash_extents(path, extents, piece_length);
	if (!hashes) throw std::runtime_error(hashes.error());
	torrent::TorrentSpec spec;
	spec.name = name;
	spec.piece_length = piece_length;
	spec.extents = extents;
	spec.piece_hashes = std::move(hashes.value());
	auto t = torrent::build_torrent(spec);
	if (!t) throw std::runtime_error(t.error());
	return t.value();
}

std::string whole_image_torrent(std::string const& path, int piece_length)
{
	std::int64_t const size = std::int64_t(fs::file_size(path));
	auto hashes = torrent::hash_extents(path, {{0, size}}, piece_length);
	if (!hashes) throw std::runtime_error(hashes.error());
	torrent::TorrentSpec spec;
	spec.name = "image";
	spec.piece_length = piece_length;
	spec.extents = {{0, size}};
	spec.piece_hashes = std::move(hashes.value());
	spec.single_file = true;
	auto t = torrent::build_torrent(spec);
	if (!t) throw std::runtime_error(t.error());
	return t.value();
}

std::string info_hash_of(std::string const& torrent)
{
	auto ti = torrent::load_torrent(torrent);
	if (!ti) throw std::runtime_error(ti.error());
	return to_hex((*ti)->info_hashes().v1);
}

void write_file(std::string const& path, std::string const& data)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out.write(data.data(), std::streamsize(data.size()));
	if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(std::string const& path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) throw std::runtime_error("cannot read " + path);
	std::stringstream s;
	s << in.rdbuf();
	return s.str();
}

}  // namespace ezio::test
