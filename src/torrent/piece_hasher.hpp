// SHA-1 of every piece of a set of extents read from a device or image, for
// torrents made from the data itself rather than from partclone's list.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"
#include "torrent/partclone_info.hpp"

namespace ezio::torrent {

// Called after each piece with (pieces done, pieces total).
using HashProgress = std::function<void(int, int)>;

// Reads the extents of `path` in order and hashes the concatenation in
// pieces of `piece_length`.
Expected<std::vector<lt::sha1_hash>> hash_extents(std::string const& path, std::vector<Extent> const& extents,
	int piece_length, HashProgress const& progress = {});

}  // namespace ezio::torrent
