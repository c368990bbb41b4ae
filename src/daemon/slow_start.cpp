#include "daemon/slow_start.hpp"

#include <algorithm>

namespace ezio::daemon {

std::int64_t SlowStart::limit_at(std::chrono::steady_clock::duration elapsed) const
{
	std::int64_t const steps = std::max<std::int64_t>(0, elapsed / m_period);
	std::int64_t const limit = step_bytes * (steps + 1);
	return limit >= unlimited_from ? 0 : limit;
}

std::chrono::steady_clock::duration SlowStart::next_change_after(std::chrono::steady_clock::duration elapsed) const
{
	if (limit_at(elapsed) == 0) return std::chrono::steady_clock::duration::max();
	std::int64_t const steps = std::max<std::int64_t>(0, elapsed / m_period);
	return m_period * (steps + 1) - elapsed;
}

std::int64_t combine_limits(std::int64_t a, std::int64_t b)
{
	if (a == 0) return b;
	if (b == 0) return a;
	return std::min(a, b);
}

}  // namespace ezio::daemon
