// The default IoBackend: blocking preadv/pwritev/fdatasync on the calling
// (worker) thread.
#include <unistd.h>

#include <cerrno>

#include <boost/asio/error.hpp>

#include "storage/io_backend.hpp"
#include "storage/io_loop.hpp"

namespace ezio::storage {

namespace {

class PosixIo final : public IoBackend {
public:
	lt::error_code read(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		// A read of nothing before the data ends means the target is shorter
		// than the torrent says.
		return transfer_all(buffers, offset,
			[fd](iovec const* iov, int count, off_t at) { return ::preadv(fd, iov, count, at); },
			boost::asio::error::eof);
	}

	lt::error_code write(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		// pwritev returns 0 only when nothing fits: the device is full.
		return transfer_all(buffers, offset,
			[fd](iovec const* iov, int count, off_t at) { return ::pwritev(fd, iov, count, at); },
			lt::error_code(ENOSPC, boost::system::system_category()));
	}

	lt::error_code sync(int fd) override
	{
		while (::fdatasync(fd) != 0) {
			if (errno != EINTR) return lt::error_code(errno, boost::system::system_category());
		}
		return {};
	}
};

}  // namespace

std::unique_ptr<IoBackend> make_posix_io()
{
	return std::make_unique<PosixIo>();
}

}  // namespace ezio::storage
