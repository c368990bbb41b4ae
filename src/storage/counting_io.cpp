// Counts and times the I/O of another backend (the decorator the
// IoBackend seam exists for).
#include <chrono>

#include "storage/engine_stats.hpp"

namespace ezio::storage {

namespace {

std::int64_t total(std::span<iovec const> buffers)
{
	std::int64_t n = 0;
	for (iovec const& v : buffers) n += std::int64_t(v.iov_len);
	return n;
}

class CountingIo final : public IoBackend {
public:
	CountingIo(std::shared_ptr<IoBackend> inner, EngineStats& stats) : m_inner(std::move(inner)), m_stats(stats) {}

	lt::error_code read(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		return timed(m_stats.read_ops, m_stats.read_bytes, m_stats.read_micros, total(buffers),
			[&] { return m_inner->read(fd, buffers, offset); });
	}

	lt::error_code write(int fd, std::span<iovec const> buffers, DiskOffset offset) override
	{
		return timed(m_stats.write_ops, m_stats.write_bytes, m_stats.write_micros, total(buffers),
			[&] { return m_inner->write(fd, buffers, offset); });
	}

	lt::error_code sync(int fd) override
	{
		EngineStats::add(m_stats.sync_ops, 1);
		auto const ec = m_inner->sync(fd);
		if (ec) EngineStats::add(m_stats.io_errors, 1);
		return ec;
	}

private:
	template <typename Call>
	lt::error_code timed(std::atomic<std::int64_t>& ops, std::atomic<std::int64_t>& bytes,
		std::atomic<std::int64_t>& micros, std::int64_t length, Call call)
	{
		auto const start = std::chrono::steady_clock::now();
		auto const ec = call();
		EngineStats::add(micros,
			std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
		EngineStats::add(ops, 1);
		EngineStats::add(bytes, length);
		if (ec) EngineStats::add(m_stats.io_errors, 1);
		return ec;
	}

	std::shared_ptr<IoBackend> m_inner;
	EngineStats& m_stats;
};

}  // namespace

std::unique_ptr<IoBackend> make_counting_io(std::shared_ptr<IoBackend> inner, EngineStats& stats)
{
	return std::make_unique<CountingIo>(std::move(inner), stats);
}

}  // namespace ezio::storage
