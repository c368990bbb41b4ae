// ezioctl create --chunked: cuts an image's used extents into chunks,
// encodes each on its own (every core), and writes the chunked torrent
// (docs/format.md, "Chunked torrents").
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "chunk/layout.hpp"
#include "common/expected.hpp"
#include "torrent/partclone_info.hpp"
#include "torrent/read_at.hpp"

namespace ezio::torrent {

// The window a torrent of these extents is cut into unless chosen
// otherwise: 1 MiB, doubled while the extents touch more than
// max_auto_chunks windows (up to chunk::max_window).
//
// A window is a piece, and a client passes a piece on only once it holds
// all of it: at 32 clients on slow links 1 MiB windows finished 1.1x
// sooner than 4 MiB ones, for 2 % more stored bytes (bench/RESULTS.md,
// "The window"). Each chunk costs about 190 bytes of torrent (its hash,
// its description, its two files), so a 128 GiB image's stays near
// 25 MiB, within what a torrent (64 MiB) and a companion's metadata
// (32 MiB) may be; larger images get larger windows.
inline constexpr std::int64_t smallest_auto_window = 1 << 20;
inline constexpr std::int64_t max_auto_chunks = 1 << 17;
std::int64_t auto_window(std::vector<Extent> const& extents);

struct ChunkOptions {
	std::int64_t window = 0;  // 0: auto_window(extents)
	int level = chunk::default_zstd_level;
	int threads = 0;  // 0: one per core
	// (chunks done, chunks total), on the calling thread.
	std::function<void(int, int)> progress;
	// If set, called with each chunk and its stored bytes as soon as they
	// are made, on the worker that made them (several at once); an error
	// stops the making.
	std::function<Status(chunk::Chunk const&, std::span<char const>)> store;
};

// The name of chunk c's file in the torrent and in a chunk store: its
// window's disk offset, 16 hex digits.
std::string chunk_file_name(chunk::Chunk const& c);

// Writes chunk c's stored bytes to `directory`/chunk_file_name(c), synced:
// one file of a chunk store (docs/format.md, "The chunk store").
Status store_chunk(std::string const& directory, chunk::Chunk const& c, std::span<char const> stored);

// The extents of `extents` (sorted, not overlapping) cut at window
// boundaries, one list per window that holds any: the chunks without their
// data (codec, lengths, digests).
std::vector<chunk::Chunk> cut_into_windows(std::vector<Extent> const& extents, std::int64_t window);

// Reads from the image or device at `path`, which must be at least
// `needed_bytes` long.
Expected<ReadAt> image_read_at(std::string const& path, std::int64_t needed_bytes);

// Reads the chunks' data from `path`, encodes each and fills in its codec,
// lengths, SHA-256 and piece hash. The result passes chunk::validate().
Expected<chunk::Layout> make_chunks(std::string const& path, std::vector<Extent> const& extents,
	ChunkOptions const& options);
// The same, reading through `read`.
Expected<chunk::Layout> make_chunks(ReadAt const& read, std::vector<Extent> const& extents, ChunkOptions const& options);

// The chunks whose data `path` does not hold (the SHA-256 of their
// extents differs), in order: what `ezioctl verify` reports.
Expected<std::vector<int>> verify_chunks(std::string const& path, chunk::Layout const& layout, int threads = 0);

struct ChunkedTorrentSpec {
	std::string name;
	std::vector<std::string> trackers;
	std::string creator;
	// "creation date" (outside the info dictionary): now. Without it the
	// same layout always makes the same file (a companion).
	bool dated = true;
};

// The bencoded .torrent: chunk k is file "<name>/<chunk_file_name>",
// followed by a pad file to the end of piece k.
Expected<std::string> build_chunked_torrent(ChunkedTorrentSpec const& spec, chunk::Layout const& layout);

}  // namespace ezio::torrent
