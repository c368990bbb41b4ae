#include "storage/io_loop.hpp"

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

namespace ezio::storage {
namespace {

// A "device" in memory whose calls move at most a few bytes at a time and
// sometimes fail with EINTR, like a real one under signals and limits.
struct StingyDevice {
	std::vector<char> bytes = std::vector<char>(1 << 16, 0);
	std::mt19937 rng{7};
	int calls = 0;

	ssize_t write(iovec const* iov, int count, off_t offset)
	{
		++calls;
		if (rng() % 4 == 0) {
			errno = EINTR;
			return -1;
		}
		std::size_t budget = 1 + rng() % 700;
		ssize_t moved = 0;
		for (int i = 0; i < count && budget > 0; ++i) {
			std::size_t const n = std::min(budget, iov[i].iov_len);
			if (n == 0) continue;  // an empty iovec may have no base (memcpy must not see it)
			std::memcpy(bytes.data() + offset + moved, iov[i].iov_base, n);
			moved += ssize_t(n);
			budget -= n;
			if (n < iov[i].iov_len) break;
		}
		return moved;
	}
};

TEST(TransferAll, LoopsOverShortTransfersAndEintr)
{
	StingyDevice device;
	std::vector<std::vector<char>> chunks;
	std::vector<iovec> iov;
	for (int i = 0; i < 40; ++i) {
		chunks.emplace_back(std::size_t(i % 5 == 0 ? 0 : 100 + i * 37), char('a' + i % 26));  // some empty
	}
	for (auto& c : chunks) iov.push_back(iovec{c.data(), c.size()});

	auto const ec = transfer_all(iov, DiskOffset(1000),
		[&](iovec const* v, int n, off_t at) { return device.write(v, n, at); }, boost::asio::error::eof);
	ASSERT_FALSE(ec) << ec.message();
	EXPECT_GT(device.calls, 20);

	std::size_t at = 1000;
	for (auto const& c : chunks) {
		if (c.empty()) continue;
		ASSERT_EQ(std::memcmp(device.bytes.data() + at, c.data(), c.size()), 0) << "chunk at " << at;
		at += c.size();
	}
}

TEST(TransferAll, ReportsTheErrnoOfAFailedCall)
{
	char buf[100];
	iovec const v{buf, sizeof(buf)};
	int calls = 0;
	auto const ec = transfer_all(std::span(&v, 1), DiskOffset(0),
		[&](iovec const*, int, off_t) -> ssize_t {
			if (++calls == 1) return 40;  // some progress first
			errno = EIO;
			return -1;
		},
		boost::asio::error::eof);
	EXPECT_EQ(ec.value(), EIO);
	EXPECT_EQ(calls, 2);
}

TEST(TransferAll, ZeroBytesMovedIsTheGivenError)
{
	char buf[100];
	iovec const v{buf, sizeof(buf)};
	auto const ec = transfer_all(std::span(&v, 1), DiskOffset(0), [](iovec const*, int, off_t) -> ssize_t { return 0; },
		boost::asio::error::eof);
	EXPECT_EQ(ec, lt::error_code(boost::asio::error::eof));
}

TEST(TransferAll, PassesAdvancingOffsets)
{
	std::vector<char> data(5000, 'x');
	iovec const v{data.data(), data.size()};
	std::vector<off_t> offsets;
	auto const ec = transfer_all(std::span(&v, 1), DiskOffset(std::int64_t(1) << 41),
		[&](iovec const* iov, int, off_t at) -> ssize_t {
			offsets.push_back(at);
			return ssize_t(std::min<std::size_t>(2000, iov[0].iov_len));
		},
		boost::asio::error::eof);
	ASSERT_FALSE(ec);
	std::vector<off_t> const expected{off_t(1) << 41, (off_t(1) << 41) + 2000, (off_t(1) << 41) + 4000};
	EXPECT_EQ(offsets, expected);
}

}  // namespace
}  // namespace ezio::storage
