// Where the tools that make torrents read an image's used bytes from.
#pragma once

#include <cstdint>
#include <functional>

#include "common/expected.hpp"

namespace ezio::torrent {

// Reads `length` bytes at disk offset `offset` into `out`. Called from
// several threads at once; an error names what failed to read. The bytes
// need not lie in one file: a btzone directory holds one file per extent.
using ReadAt = std::function<Status(std::int64_t offset, std::int64_t length, char* out)>;

}  // namespace ezio::torrent
