// An IoBackend on io_uring (buffered, no O_DIRECT): each call is one
// submission and its completion, on a ring of the calling thread's own.
//
// The default (--io-backend auto) where the kernel allows io_uring, and
// --io-backend uring. bench/engine compares it with the pread/pwrite
// backend.
#include <liburing.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/error.hpp>
#include <fmt/format.h>

#include "storage/io_loop.hpp"
#include "storage/uring_io.hpp"

namespace ezio::storage {

namespace {

constexpr unsigned ring_entries = 8;

// One ring per thread: workers never share one, so no locking.
class ThreadRing {
public:
	ThreadRing() { m_error = -io_uring_queue_init(ring_entries, &m_ring, 0); }
	~ThreadRing()
	{
		if (m_error == 0) io_uring_queue_exit(&m_ring);
	}
	ThreadRing(ThreadRing const&) = delete;
	ThreadRing& operator=(ThreadRing const&) = delete;

	int error() const { return m_error; }

	// Runs one prepared operation to completion; returns its result
	// (negative errno on failure), like the system call it stands for.
	template <typename Prepare>
	ssize_t run(Prepare prepare)
	{
		if (m_error != 0) return -m_error;
		io_uring_sqe* sqe = io_uring_get_sqe(&m_ring);
		if (sqe == nullptr) return -EBUSY;
		prepare(sqe);
		int rc = io_uring_submit(&m_ring);
		if (rc < 0) return rc;
		io_uring_cqe* cqe = nullptr;
		do {
			rc = io_uring_wait_cqe(&m_ring, &cqe);
		} while (rc == -EINTR);
		if (rc < 0) return rc;
		ssize_t const result = cqe->res;
		io_uring_cqe_seen(&m_ring, cqe);
		return result;
	}

private:
	io_uring m_ring{};
	int m_error = 0;
};

ThreadRing& ring()
{
	thread_local ThreadRing r;
	return r;
}

// Adapts a ring operation to transfer_all's system-call convention.
ssize_t as_syscall(ssize_t result)
{
	if (result >= 0) return result;
	errno = int(-result);
	return -1;
}

class UringIo final : public IoBackend {
public:
	lt::error_code read(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		return transfer_all(buffers, offset,
			[fd](iovec const* iov, int count, off_t at) {
				return as_syscall(ring().run([&](io_uring_sqe* sqe) { io_uring_prep_readv(sqe, fd, iov, unsigned(count), at); }));
			},
			boost::asio::error::eof);
	}

	lt::error_code write(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		return transfer_all(buffers, offset,
			[fd](iovec const* iov, int count, off_t at) {
				return as_syscall(ring().run([&](io_uring_sqe* sqe) { io_uring_prep_writev(sqe, fd, iov, unsigned(count), at); }));
			},
			lt::error_code(ENOSPC, boost::system::system_category()));
	}

	lt::error_code sync(int fd) override
	{
		ssize_t const rc = ring().run([fd](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC); });
		if (rc < 0) return lt::error_code(int(-rc), boost::system::system_category());
		return {};
	}
};

}  // namespace

Expected<std::unique_ptr<IoBackend>> make_uring_io()
{
	// Fail now, with a reason, rather than on the first write.
	io_uring probe{};
	int const rc = io_uring_queue_init(ring_entries, &probe, 0);
	if (rc < 0)
		return Error{fmt::format("io_uring is not available here ({}); use --io-backend psync", std::strerror(-rc)),
			Errc::failed_precondition};
	io_uring_queue_exit(&probe);
	return std::unique_ptr<IoBackend>(std::make_unique<UringIo>());
}

}  // namespace ezio::storage
