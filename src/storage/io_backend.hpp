// The engine's one seam to the operating system for data I/O.
//
// Everything that reads, writes or syncs a target goes through an IoBackend,
// so a test can put a fault-injecting backend in its place (fail the third
// write, return short reads) and prove that the engine reports every error.
//
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <sys/uio.h>

#include <memory>
#include <span>

#include <libtorrent/error_code.hpp>

#include "common/expected.hpp"
#include "storage/byte_offset.hpp"

namespace ezio::storage {

class IoBackend {
public:
	virtual ~IoBackend() = default;

	// Reads exactly the total length of `buffers` from `fd` at `offset`,
	// looping over short reads. Returns the errno of a failed call, or
	// boost::asio::error::eof when the target ends before the data does.
	virtual lt::error_code read(int fd, std::span<iovec const> buffers, DiskOffset offset) = 0;

	// Writes all of `buffers` to `fd` at `offset`, looping over short writes.
	// Returns the errno of a failed call.
	virtual lt::error_code write(int fd, std::span<iovec const> buffers, DiskOffset offset) = 0;

	// Makes everything written to `fd` durable (fdatasync). Returns its errno.
	virtual lt::error_code sync(int fd) = 0;
};

// preadv/pwritev/fdatasync: --io-backend psync, and the fallback where the
// kernel refuses io_uring. (The io_uring backend is the engine's:
// storage/uring_io.hpp.)
std::unique_ptr<IoBackend> make_posix_io();

}  // namespace ezio::storage
