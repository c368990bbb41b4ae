// partclone's torrent.info: the used blocks of a filesystem and the SHA-1 of
// every piece cut from them (docs/format.md). Written by
// `partclone.<fs> -c -t -s SRC -O DIR -z PIECE_LENGTH`.
//
//   block_size: 4096
//   blocks_total: 262144
//   offset: 00000000000000000000000000100000   (hex, one pair per extent)
//   length: 00000000000000000000000000200000
//   sha1: 6fd7ba1c1079eb318837c0b0df101b8987197be5   (one per piece)
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"

namespace ezio::torrent {

struct Extent {
	std::int64_t offset = 0;  // on the partition
	std::int64_t length = 0;
	bool operator==(Extent const&) const = default;
};

struct PartcloneInfo {
	std::int64_t block_size = 0;    // 0 if the file does not say
	std::int64_t blocks_total = 0;  // 0 if the file does not say
	std::vector<Extent> extents;    // sorted, non-overlapping, non-empty
	std::vector<lt::sha1_hash> piece_hashes;

	std::int64_t used_bytes() const;
};

// Parses the text of a torrent.info. Every malformed line, a missing
// length, an empty, unsorted or overlapping extent, or an extent past
// block_size * blocks_total is an error naming the line.
Expected<PartcloneInfo> parse_partclone_info(std::string_view text);

}  // namespace ezio::torrent
