// The companion of a Clonezilla-layout torrent (docs/format.md, "The
// companion transfer"): the chunked torrent of the same used extents, made
// with pinned parameters, so that every EZIO daemon that holds the same
// bytes and the same zstd makes the same companion, with the same
// info-hash.
//
// Clonezilla makes its own torrents (16 MiB pieces of raw used blocks) and
// cannot be asked to make chunked ones; between two EZIO daemons such a
// torrent T can travel as its companion C(T), about a third of the bytes
// for an OS image. Here: making C(T) from T and T's bytes, and the check a
// client makes before it lets a companion write to T's target.
//
// Pure apart from the reads it is given; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/torrent_info.hpp>

#include "chunk/layout.hpp"
#include "common/expected.hpp"
#include "torrent/chunk_maker.hpp"
#include "torrent/partclone_info.hpp"

namespace ezio::torrent {

// What every companion is made with: T's extents cut into
// auto_window(extents) windows, zstd at this level. A companion made
// otherwise is not one.
inline constexpr int companion_level = chunk::default_zstd_level;

// T's extents, one per file, in order (docs/format.md, "Extents are
// files"). Fails, naming the file, for a torrent that is not of that
// layout (a chunked torrent, a file that is not a hex offset, ...).
Expected<std::vector<Extent>> extents_of(lt::torrent_info const& t);

// Reads T's used bytes from a btzone directory, as `partclone -T` writes
// it and `ezio -F` seeds it: `directory`/<T's file path>, one file per
// extent, each exactly as long as its extent. A read may span extents.
// Fails at once if a file is missing or of the wrong size.
Expected<ReadAt> btzone_reader(lt::torrent_info const& t, std::string const& directory);

// Reads T's used bytes from `path`: a btzone directory (above), or an
// image file or device that holds them at their disk offsets.
Expected<ReadAt> source_reader(lt::torrent_info const& t, std::string const& path);

struct Companion {
	chunk::Layout layout;
	std::string torrent;  // bencoded: what a peer's ut_metadata serves of it is its info dictionary
	lt::sha1_hash info_hash;
};

// Makes C(T), reading T's used bytes through `read`. Only `threads`,
// `progress` and `store` of `options` are used; the window and level are
// the companion's. Fails if the bytes read do not match T's own piece
// hashes: a companion is only ever made of the bytes T describes.
Expected<Companion> make_companion(lt::torrent_info const& t, ReadAt const& read, ChunkOptions options);

// Is `c` (a torrent's chunk description) the companion of `t`: does it
// name t, with the companion's window and level, and cover exactly t's
// extents? What a client checks before a companion may write to t's
// target. The error says which part differs.
Status check_companion(chunk::Layout const& c, lt::torrent_info const& t);

}  // namespace ezio::torrent
