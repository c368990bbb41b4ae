#include "storage/io_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

namespace ezio::storage {

namespace {

// Drops `done` bytes from the front of iov[first..], skipping emptied and
// empty entries.
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

}  // namespace

lt::error_code transfer_all(std::span<iovec const> buffers, DiskOffset offset, TransferCall const& call,
	lt::error_code on_zero)
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
			return lt::error_code(errno, boost::system::system_category());
		}
		if (n == 0) return on_zero;
		position += n;
		advance(iov, first, std::size_t(n));
	}
	return {};
}

}  // namespace ezio::storage
