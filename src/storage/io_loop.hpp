// The retry loop under every positional read and write: a preadv/pwritev
// may move fewer bytes than asked (signals, device limits, IOV_MAX), and
// only an error or a transfer of nothing ends it early.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <functional>
#include <span>

#include <libtorrent/error_code.hpp>

#include "storage/byte_offset.hpp"

namespace ezio::storage {

// One system call: moves up to `count` iovecs at `offset`; returns bytes
// moved, or -1 with errno set.
using TransferCall = std::function<ssize_t(iovec const* iov, int count, off_t offset)>;

// Calls `call` until every byte of `buffers` has moved. Returns the errno
// of a failed call (EINTR is retried), or `on_zero` if a call moves nothing.
lt::error_code transfer_all(std::span<iovec const> buffers, DiskOffset offset, TransferCall const& call,
	lt::error_code on_zero);

}  // namespace ezio::storage
