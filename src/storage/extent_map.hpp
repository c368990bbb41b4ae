// The layout of a torrent on its target: which bytes of the torrent's data
// go where on the device.
//
// A partition torrent's files are extents of the partition: each file's name
// is its byte offset on the partition in hex, and pieces are cut from the
// concatenation of the files (docs/format.md). So one piece may span several
// extents, and its blocks are not contiguous on disk. Everything that turns a
// piece position into a disk position goes through ExtentMap::map().
//
// Thread-safety: immutable after build(); safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <libtorrent/file_storage.hpp>
#include <libtorrent/units.hpp>

#include "common/expected.hpp"
#include "storage/byte_offset.hpp"

namespace ezio::storage {

// Parses an extent name: 1 to 32 hex digits (partclone writes 32, other tools
// 16) whose value fits a signed 64-bit offset. Returns nullopt otherwise.
std::optional<DiskOffset> parse_extent_name(std::string_view name);

// A contiguous run on the target that a range of a piece maps to.
struct DiskRun {
	DiskOffset offset;
	std::int64_t length = 0;
	lt::file_index_t file{0};  // the extent the run starts in, for error reports

	DiskOffset end() const { return offset + length; }
	bool operator==(DiskRun const&) const = default;
};

class ExtentMap {
public:
	// Checks the torrent's file list against docs/format.md and builds the map.
	// Fails, with a message naming the offending file, if a name is not a hex
	// offset, a file sits in a subdirectory, the torrent has pad files, or the
	// extents are out of order or overlap.
	static Expected<ExtentMap> build(lt::file_storage const& files);

	// Where the last extent ends: the target must be at least this large.
	DiskOffset end() const { return m_end; }

	int num_pieces() const { return m_num_pieces; }
	int piece_length() const { return m_piece_length; }
	int piece_size(lt::piece_index_t piece) const;
	std::int64_t total_size() const { return m_total_size; }
	int num_files() const { return m_num_files; }
	// The disk offset of a file (extent), as parsed from its name.
	DiskOffset file_offset(lt::file_index_t file) const;

	// Appends to `out` the disk runs that bytes [start, start + length) of
	// `piece` map to, in torrent order. Runs that touch on disk are merged,
	// also across extents, so a caller can issue one I/O per run.
	// REQUIRES: 0 <= start, length >= 0, start + length <= piece_size(piece).
	void map(lt::piece_index_t piece, int start, int length, std::vector<DiskRun>& out) const;

private:
	struct Segment {
		TorrentOffset start;  // where the extent begins in the torrent's data
		DiskOffset disk;      // where it begins on the target
		std::int64_t length;
		lt::file_index_t file;
	};

	std::vector<Segment> m_segments;  // sorted by start; no empty extents
	std::vector<DiskOffset> m_file_offsets;
	DiskOffset m_end;
	std::int64_t m_total_size = 0;
	int m_piece_length = 0;
	int m_num_pieces = 0;
	int m_num_files = 0;
};

}  // namespace ezio::storage
