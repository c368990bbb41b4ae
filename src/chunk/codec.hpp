// Making and unmaking a chunk's stored bytes, reproducibly.
//
// `ezioctl create` and a seeder that re-makes a chunk from the raw target
// must produce the same bytes, or the piece's SHA-1 does not match: so the
// compressor's parameters are pinned here (one frame, the level from the
// torrent, content size in the header, no checksum, single-threaded) and
// nowhere else. The receiving side takes any valid frame, but never writes
// more or fewer bytes than the chunk says.
//
// Thread-safety: every function may be called from any thread; each thread
// keeps its own compression contexts.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <libtorrent/error_code.hpp>
#include <libtorrent/hasher.hpp>

#include "chunk/layout.hpp"
#include "common/bytes.hpp"
#include "common/expected.hpp"

namespace ezio::chunk {

// "zstd <version>" of the library linked in.
std::string codec_version();

// The stored form of `raw`: a zstd frame at `level` if it is smaller than
// `raw`, else `raw` itself (Codec::stored). `out` is replaced.
Codec encode(std::span<char const> raw, int level, Bytes& out);

// The same, for a chunk whose codec is already known (re-making a chunk to
// serve it): fails if the result is not exactly `chunk.stored_length` bytes.
Status encode_as(Chunk const& chunk, int level, std::span<char const> raw, Bytes& out);

// Turns a chunk's stored bytes back into its raw bytes: exactly
// `chunk.raw_length` of them into `raw`, which must be that large. Fails
// with a message if the frame is broken, holds another length, or the
// result's SHA-256 is not the chunk's.
Status decode(Chunk const& chunk, std::span<char const> stored, std::span<char> raw);

// The error a storage reports for a chunk that decode() refused, so that a
// torrent's status says what happened rather than an errno's text.
lt::error_code chunk_mismatch_error();

lt::sha256_hash sha256(std::span<char const> data);

// Feeds `count` zero bytes to `h`: a pad file's bytes, which no peer sends.
void hash_zeros(lt::hasher& h, std::int64_t count);

// The SHA-1 of a chunk's piece: its stored bytes, then the pad's zeros up
// to `piece_length` (every piece but the last is a whole window).
lt::sha1_hash piece_hash(std::span<char const> stored, std::int64_t piece_length);

}  // namespace ezio::chunk
