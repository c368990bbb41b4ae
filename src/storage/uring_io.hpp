// The IoBackend over io_uring: part of the engine (ezio_storage, which
// links liburing); tools that only read images use make_posix_io.
#pragma once

#include <memory>

#include "common/expected.hpp"
#include "storage/io_backend.hpp"

namespace ezio::storage {

// preadv/pwritev/fdatasync through io_uring (buffered I/O, a ring per
// thread). Fails if the kernel does not allow io_uring.
Expected<std::unique_ptr<IoBackend>> make_uring_io();

}  // namespace ezio::storage
