// An IoBackend over memory that records every call and fails on request:
// the seam the engine's tests use instead of a disk.
#pragma once

#include <cstring>
#include <vector>

#include "common/mutex.hpp"
#include "storage/io_backend.hpp"

namespace ezio::storage::testing {

class FakeIo final : public IoBackend {
public:
	explicit FakeIo(std::int64_t size) : m_disk(std::size_t(size), '\0') {}

	struct Call {
		std::int64_t offset;
		std::int64_t length;
		std::size_t buffers;
	};

	lt::error_code read(int, std::span<iovec const> buffers, DiskOffset offset) override
	{
		MutexLock lock(m_mutex);
		std::int64_t at = offset.value();
		reads.push_back(Call{at, total(buffers), buffers.size()});
		m_log.push_back(Op::read);
		if (overlaps_failure(at, total(buffers))) return lt::error_code(EIO, boost::system::system_category());
		for (iovec const& v : buffers) {
			std::memcpy(v.iov_base, m_disk.data() + at, v.iov_len);
			at += std::int64_t(v.iov_len);
		}
		return {};
	}

	lt::error_code write(int, std::span<iovec const> buffers, DiskOffset offset) override
	{
		MutexLock lock(m_mutex);
		std::int64_t at = offset.value();
		writes.push_back(Call{at, total(buffers), buffers.size()});
		m_log.push_back(Op::write);
		if (overlaps_failure(at, total(buffers))) return lt::error_code(EIO, boost::system::system_category());
		for (iovec const& v : buffers) {
			std::memcpy(m_disk.data() + at, v.iov_base, v.iov_len);
			at += std::int64_t(v.iov_len);
		}
		return {};
	}

	lt::error_code sync(int) override
	{
		MutexLock lock(m_mutex);
		m_log.push_back(Op::sync);
		++m_syncs;
		return m_sync_error;
	}

	// I/O touching [offset, offset + length) fails with EIO from now on.
	void fail_range(std::int64_t offset, std::int64_t length)
	{
		MutexLock lock(m_mutex);
		m_failures.push_back({offset, length});
	}
	// Every sync from now on fails with `error` (as fdatasync does after
	// the kernel lost a write back); a default error_code makes them pass.
	void fail_syncs(lt::error_code error)
	{
		MutexLock lock(m_mutex);
		m_sync_error = error;
	}

	enum class Op { read, write, sync };
	// Every call so far, in the order they were made.
	std::vector<Op> log() const
	{
		MutexLock lock(m_mutex);
		return m_log;
	}
	int syncs() const
	{
		MutexLock lock(m_mutex);
		return m_syncs;
	}

	// The fake disk's bytes; look only while no I/O is running.
	char const* disk() const { return m_disk.data(); }
	char* disk() { return m_disk.data(); }

	// Calls so far; look only while no I/O is running.
	std::vector<Call> reads;   // guarded by m_mutex while I/O runs
	std::vector<Call> writes;  // guarded by m_mutex while I/O runs

private:
	struct Range {  // of bytes whose I/O fails
		std::int64_t offset;
		std::int64_t length;
	};

	static std::int64_t total(std::span<iovec const> buffers)
	{
		std::int64_t n = 0;
		for (iovec const& v : buffers) n += std::int64_t(v.iov_len);
		return n;
	}

	bool overlaps_failure(std::int64_t offset, std::int64_t length) const EZIO_REQUIRES(m_mutex)
	{
		for (Range const& f : m_failures)
			if (offset < f.offset + f.length && f.offset < offset + length) return true;
		return false;
	}

	mutable Mutex m_mutex;
	std::vector<char> m_disk;  // under m_mutex while I/O runs; disk() is for tests at rest
	std::vector<Range> m_failures EZIO_GUARDED_BY(m_mutex);
	lt::error_code m_sync_error EZIO_GUARDED_BY(m_mutex);
	std::vector<Op> m_log EZIO_GUARDED_BY(m_mutex);
	int m_syncs EZIO_GUARDED_BY(m_mutex) = 0;
};

}  // namespace ezio::storage::testing
