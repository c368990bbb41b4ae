// Makes .torrent files EZIO (and the original EZIO) can deploy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"
#include "torrent/partclone_info.hpp"

namespace ezio::torrent {

struct TorrentSpec {
	// The partition's name (e.g. "sda1"). Extent files are "<name>/<offset as
	// 32 hex digits>", as the original generator names them, so the same
	// inputs give the same info-hash.
	std::string name;
	int piece_length = 16 << 20;
	std::vector<Extent> extents;
	// One SHA-1 per piece of the concatenated extents.
	std::vector<lt::sha1_hash> piece_hashes;
	// Instead of a directory of extents: one file, named by its offset in 16
	// hex digits, covering a whole image. Requires exactly one extent.
	bool single_file = false;

	std::vector<std::string> trackers;
	std::string creator;  // "created by"; outside the info dictionary
};

// Returns the bencoded .torrent (v1 only, no pad files, not private).
// Fails if the hashes do not match the number of pieces or the extents are
// empty, unsorted or overlapping.
Expected<std::string> build_torrent(TorrentSpec const& spec);

// 16 or 32 lower-case hex digits of a disk offset.
std::string extent_name(std::int64_t offset, int digits);

}  // namespace ezio::torrent
