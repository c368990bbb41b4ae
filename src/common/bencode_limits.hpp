// Limits for bencoded input that comes from outside (.torrent files, their
// info dictionaries): generous enough for a multi-TiB partition (hundreds of
// thousands of extents, pieces or chunks), small enough that a hostile file
// cannot exhaust memory or the stack. docs/format.md, "Limits".
#pragma once

namespace ezio {

inline constexpr int max_torrent_bytes = 64 << 20;
inline constexpr int max_bencode_depth = 32;
inline constexpr int max_bencode_tokens = 20'000'000;

}  // namespace ezio
