// The default IoBackend: blocking preadv/pwritev on the calling thread.
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

#include <boost/asio/error.hpp>

#include "storage/io_backend.hpp"

namespace ezio::storage {

namespace {

lt::error_code errno_code(int err)
{
	return lt::error_code(err, boost::system::system_category());
}

// Drops the first `done` bytes from the front of `iov`, starting at `first`.
void advance(std::vector<iovec>& iov, std::size_t& first, std::size_t done)
{
	while (done > 0) {
		iovec& v = iov[first];
		if (done < v.iov_len) {
			v.iov_base = static_cast<char*>(v.iov_base) + done;
			v.iov_len -= done;
			return;
		}
		done -= v.iov_len;
		++first;
	}
	while (first < iov.size() && iov[first].iov_len == 0) ++first;
}

// Runs preadv or pwritev until every byte is transferred. A call may move
// fewer bytes than asked (signals, device limits, IOV_MAX); only an error or
// a zero-length transfer ends the loop early.
template <typename Call>
lt::error_code transfer_all(std::span<iovec const> buffers, DiskOffset offset, Call call, lt::error_code on_zero)
{
	std::vector<iovec> iov(buffers.begin(), buffers.end());
	std::size_t first = 0;
	while (first < iov.size() && iov[first].iov_len == 0) ++first;
	off_t position = offset.value();
	while (first < iov.size()) {
		int const count = int(std::min<std::size_t>(iov.size() - first, IOV_MAX));
		ssize_t const n = call(iov.data() + first, count, position);
		if (n < 0) {
			if (errno == EINTR) continue;
			return errno_code(errno);
		}
		if (n == 0) return on_zero;
		position += n;
		advance(iov, first, std::size_t(n));
	}
	return {};
}

class PosixIo final : public IoBackend {
public:
	lt::error_code read(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		return transfer_all(buffers, offset,
			[fd](iovec const* iov, int count, off_t at) { return ::preadv(fd, iov, count, at); },
			boost::asio::error::eof);
	}

	lt::error_code write(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		// pwritev returns 0 only when nothing fits: the device is full.
		return transfer_all(buffers, offset,
			[fd](iovec const* iov, int count, off_t at) { return ::pwritev(fd, iov, count, at); },
			errno_code(ENOSPC));
	}

	lt::error_code sync(int fd) override
	{
		while (::fdatasync(fd) != 0) {
			if (errno != EINTR) return errno_code(errno);
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
