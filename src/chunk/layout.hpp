// The chunked torrent layout (docs/format.md, "Chunked torrents"): what a
// chunk is, how a torrent describes its chunks, and the rules that make a
// description safe to write to a disk.
//
// The disk is cut into aligned windows of `window` bytes. Chunk k holds the
// used extents of one window, concatenated, then compressed on its own (or
// stored as it is when that does not shrink it). Chunk k is file k of the
// torrent, followed by a pad file (BEP 47), so that it is exactly piece k:
// piece length = window. The info dictionary carries, under `info_key`,
// everything needed to write a chunk; so all of it is covered by the
// info-hash.
//
// Everything here is pure and thread-safe: a Layout is immutable once made.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"

namespace lt = libtorrent;

namespace libtorrent {
class torrent_info;
}

namespace ezio::chunk {

// The key of the info dictionary that makes a torrent chunked.
inline constexpr char const info_key[] = "ezio chunked";
inline constexpr int format_version = 1;
// The key of the chunk description that names the torrent a companion
// stands in for.
inline constexpr char const companion_key[] = "companion of";

// Windows are powers of two in this range (what a torrent is cut into
// unless chosen otherwise: torrent::auto_window).
inline constexpr std::int64_t min_window = 64 << 10;
inline constexpr std::int64_t max_window = 16 << 20;
// zstd levels the format accepts (the level is pinned per torrent).
inline constexpr int min_zstd_level = 1;
inline constexpr int max_zstd_level = 19;
inline constexpr int default_zstd_level = 3;
// A chunk store's (ezioctl create --store): it is made once and served as
// it is, and clients serve the chunks they received from memory, so only
// making it pays the level. On an OS image 6 stores 5.6 % less than 3
// for 1.75 times the CPU; a seeder without a store compresses every chunk
// it sends at the torrent's level, so 3 stays the default there.
inline constexpr int store_zstd_level = 6;

enum class Codec : std::uint8_t {
	stored = 0,  // the raw bytes themselves
	zstd = 1,    // one zstd frame of the raw bytes
};

// A used range inside a window, relative to the window's start.
struct Extent {
	std::int64_t offset = 0;
	std::int64_t length = 0;
	bool operator==(Extent const&) const = default;
};

struct Chunk {
	std::int64_t disk_offset = 0;  // where the window starts on the target
	std::vector<Extent> extents;   // sorted, not overlapping, inside the window
	std::int64_t raw_length = 0;   // the sum of the extents' lengths
	std::int64_t stored_length = 0;  // the chunk's file in the torrent
	Codec codec = Codec::stored;
	lt::sha256_hash sha256;  // of the raw bytes (the extents, concatenated)
	lt::file_index_t file{0};  // the chunk's file in the torrent
};

struct Layout {
	std::int64_t window = 0;
	int zstd_level = default_zstd_level;
	// The codec library that made the chunks ("zstd 1.5.4"). A re-made chunk
	// is checked against its piece hash anyway; this says why one may differ.
	std::string codec_version;
	std::vector<Chunk> chunks;  // chunk k is piece k
	// One SHA-1 per piece, from the torrent: what a re-made chunk must match.
	std::vector<lt::sha1_hash> piece_hashes;
	// The info-hash (v1) of the Clonezilla-layout torrent this one is the
	// companion of (docs/format.md, "The companion transfer"); unset for a
	// torrent made by `ezioctl create --chunked`.
	std::optional<lt::sha1_hash> companion_of;

	// Where the last used byte ends: the target must be at least this large.
	std::int64_t disk_end() const;
	std::int64_t raw_bytes() const;
	std::int64_t stored_bytes() const;
};

// A run of a chunk's extents that touch on disk: where it starts on the
// disk, its length, and where its bytes start within the chunk's raw bytes.
struct ExtentRun {
	std::int64_t disk_offset = 0;
	std::int64_t length = 0;
	std::int64_t position = 0;
};

// Calls f(ExtentRun) for each run of `c`, in order, while f returns true: one
// read or write per run. Returns false if f stopped the walk.
template <typename F>
bool for_each_run(Chunk const& c, F&& f)
{
	std::int64_t position = 0;
	for (std::size_t i = 0; i < c.extents.size();) {
		std::size_t j = i;
		std::int64_t length = c.extents[i].length;
		while (j + 1 < c.extents.size() && c.extents[j + 1].offset == c.extents[j].offset + c.extents[j].length)
			length += c.extents[++j].length;
		if (!f(ExtentRun{c.disk_offset + c.extents[i].offset, length, position})) return false;
		position += length;
		i = j + 1;
	}
	return true;
}

// Checks the chunk list on its own: the window, the level, and for every
// chunk its window, extents, lengths and codec. The message names the chunk.
Status validate(Layout const& layout);

// Reads and checks the chunk description of a torrent. nullopt: the torrent
// has no `info_key` (the Clonezilla layout). An error: it has one that is
// malformed or does not match the torrent's files and pieces.
Expected<std::optional<Layout>> read_layout(lt::torrent_info const& ti);

// The part of read_layout() that reads the dictionary under `info_key`,
// against the torrent's file list. For tests and fuzzing.
Expected<Layout> parse_layout(lt::bdecode_node const& dict, lt::file_storage const& files);

// The dictionary to put under `info_key` (piece_hashes are not in it).
lt::entry layout_entry(Layout const& layout);

}  // namespace ezio::chunk
