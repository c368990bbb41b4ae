// An IoBackend over memory that records every call and fails on request:
// the seam the engine's tests use instead of a disk.
#pragma once

#include <cstring>
#include <mutex>
#include <vector>

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
		std::lock_guard<std::mutex> lock(m_mutex);
		std::int64_t at = offset.value();
		reads.push_back(Call{at, total(buffers), buffers.size()});
		if (overlaps_failure(at, total(buffers))) return lt::error_code(EIO, boost::system::system_category());
		for (iovec const& v : buffers) {
			std::memcpy(v.iov_base, m_disk.data() + at, v.iov_len);
			at += std::int64_t(v.iov_len);
		}
		return {};
	}

	lt::error_code write(int, std::span<iovec const> buffers, DiskOffset offset) override
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		std::int64_t at = offset.value();
		writes.push_back(Call{at, total(buffers), buffers.size()});
		if (overlaps_failure(at, total(buffers))) return lt::error_code(EIO, boost::system::system_category());
		for (iovec const& v : buffers) {
			std::memcpy(m_disk.data() + at, v.iov_base, v.iov_len);
			at += std::int64_t(v.iov_len);
		}
		return {};
	}

	lt::error_code sync(int) override
	{
		++syncs;
		return {};
	}

	// I/O touching [offset, offset + length) fails with EIO from now on.
	void fail_range(std::int64_t offset, std::int64_t length) { m_failures.push_back({offset, length}); }

	char const* disk() const { return m_disk.data(); }
	char* disk() { return m_disk.data(); }

	std::vector<Call> reads;
	std::vector<Call> writes;
	int syncs = 0;

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

	bool overlaps_failure(std::int64_t offset, std::int64_t length) const
	{
		for (Range const& f : m_failures)
			if (offset < f.offset + f.length && f.offset < offset + length) return true;
		return false;
	}

	std::mutex m_mutex;
	std::vector<char> m_disk;
	std::vector<Range> m_failures;
};

}  // namespace ezio::storage::testing
