// SHA-1 of every piece of a set of extents read from a device or image, for
// torrents made from the data itself rather than from partclone's list, and
// for checking a target against a torrent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>

#include "common/expected.hpp"
#include "torrent/partclone_info.hpp"
#include "torrent/read_at.hpp"

namespace ezio::torrent {

struct HashOptions {
	int threads = 0;  // 0: one per core
	// Called on the calling thread with (pieces done, pieces total), about
	// every 100 ms and once at the end.
	std::function<void(int, int)> progress;
};

// Reads the extents of `path` in order and hashes their concatenation in
// pieces of `piece_length`, pieces spread over the threads.
Expected<std::vector<lt::sha1_hash>> hash_extents(std::string const& path, std::vector<Extent> const& extents,
	int piece_length, HashOptions const& options = {});
// The same, reading through `read`.
Expected<std::vector<lt::sha1_hash>> hash_extents(ReadAt const& read, std::vector<Extent> const& extents,
	int piece_length, HashOptions const& options = {});

}  // namespace ezio::torrent
