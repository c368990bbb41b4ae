// Feeds byte ranges of an image or device to a SHA-1 hasher, or reads them.
//
// Data is read with pread in chunks small enough to stay in the core's cache
// between the copy out of the page cache and the hashing; with whole 16 MiB
// pieces the copy costs half as much again as SHA-1 itself. (Mapping the
// file instead was measured too: its page faults and unmapping cost as much
// as the copy, and an I/O error under a mapping is a SIGBUS.)
//
// Thread-safety: hash_range may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <libtorrent/error_code.hpp>
#include <libtorrent/hasher.hpp>

#include "common/bytes.hpp"
#include "common/expected.hpp"
#include "storage/io_backend.hpp"

namespace ezio::torrent {

class ImageReader {
public:
	// Opens `path` for reading. Fails if it cannot be opened or is smaller
	// than `needed_bytes`.
	static Expected<std::unique_ptr<ImageReader>> open(std::string const& path, std::int64_t needed_bytes);

	~ImageReader();
	ImageReader(ImageReader const&) = delete;
	ImageReader& operator=(ImageReader const&) = delete;

	// Adds bytes [offset, offset + length) to `hasher`, reading through the
	// calling thread's `scratch` buffer.
	lt::error_code hash_range(std::int64_t offset, std::int64_t length, lt::hasher& hasher,
		Bytes& scratch) const;

	// Reads bytes [offset, offset + length) into `out`.
	lt::error_code read(std::int64_t offset, std::int64_t length, char* out) const;

private:
	ImageReader() = default;

	int m_fd = -1;
	std::unique_ptr<storage::IoBackend> m_io;
};

}  // namespace ezio::torrent
