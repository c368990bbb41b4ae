// The seeder's upload ramp (--slow-start): the session's upload limit starts
// at 10 MiB/s and rises by 10 MiB/s every period, and is lifted once it
// would reach 100 MiB/s. It keeps a freshly started seeder from flooding
// a lab network that clients are still booting on.
#pragma once

#include <chrono>
#include <cstdint>

namespace ezio::daemon {

class SlowStart {
public:
	static constexpr std::int64_t step_bytes = std::int64_t(10) << 20;
	static constexpr std::int64_t unlimited_from = std::int64_t(100) << 20;

	explicit SlowStart(std::chrono::seconds period) : m_period(period) {}

	// The limit in bytes/s after `elapsed` since the ramp began; 0 = none.
	std::int64_t limit_at(std::chrono::steady_clock::duration elapsed) const;

	// When the limit next changes, or duration::max() once it is lifted.
	std::chrono::steady_clock::duration next_change_after(std::chrono::steady_clock::duration elapsed) const;

private:
	std::chrono::seconds m_period;
};

// Combines two upload limits where 0 means "none".
std::int64_t combine_limits(std::int64_t a, std::int64_t b);

}  // namespace ezio::daemon
