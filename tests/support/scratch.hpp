// The data files integration tests deploy, made in a ScratchDir.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"
#include "torrent/partclone_info.hpp"

namespace ezio::test {

// Creates (or truncates) `path` as a sparse file of `size` bytes.
void create_sparse_file(std::string const& path, std::int64_t size);

// Fills bytes [offset, offset + length) of `path` with a pattern that
// depends on the position and `seed`, so a misplaced write is detected.
void fill_pattern(std::string const& path, std::int64_t offset, std::int64_t length, std::uint64_t seed);

// The first byte of [offset, offset + length) in `path` that does not hold
// fill_pattern's pattern, or nullopt if all do.
std::optional<std::int64_t> find_pattern_mismatch(std::string const& path, std::int64_t offset, std::int64_t length,
	std::uint64_t seed);

// The first offset in [offset, offset + length) where the two files differ,
// or nullopt if they are equal there.
std::optional<std::int64_t> find_difference(std::string const& a, std::string const& b, std::int64_t offset,
	std::int64_t length);

// Extent gaps of `extents` within [0, size): what a deployment must not touch.
std::vector<torrent::Extent> gaps_between(std::vector<torrent::Extent> const& extents, std::int64_t size);

// partclone hashes its used blocks in pieces of 16 MiB, whatever -z says.
inline constexpr int partclone_piece_length = 16 << 20;

// An ext4 image with files of random content, and partclone's list of its
// used blocks (with a SHA-1 per 16 MiB piece).
struct Ext4Image {
	std::string path;
	std::int64_t size = 0;
	torrent::PartcloneInfo info;
};
Ext4Image make_ext4_image(ScratchDir const& dir, std::string const& name, int size_mib, int data_mib,
	std::uint64_t seed);

// A .torrent made from partclone's list, as the original generator names
// files ("<name>/<32 hex digits>").
std::string partclone_torrent(Ext4Image const& image, std::string const& name);

// A .torrent of the listed extents of `path`, hashed here.
std::string extents_torrent(std::string const& path, std::vector<torrent::Extent> const& extents,
	std::string const& name, int piece_length);

// A single-file .torrent covering all of `path` (named 0000000000000000).
std::string whole_image_torrent(std::string const& path, int piece_length);

// The lower-case hex info-hash of a .torrent.
std::string info_hash_of(std::string const& torrent);

void write_file(std::string const& path, std::string const& data);
std::string read_file(std::string const& path);

}  // namespace ezio::test
