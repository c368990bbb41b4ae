// The engine's memory budget (--cache-size, SetCacheSize): one type from
// the command line to the engine, with its default and range written once.
// A person gives it in MiB; inside it is bytes. It reaches the engine one
// way only, at start and while running: libtorrent's cache_size setting,
// which counts 16 KiB blocks (setting()/from_setting()).
#pragma once

#include <cstdint>

#include <fmt/format.h>

#include "common/expected.hpp"

namespace ezio::api {

class MemoryBudget {
public:
	static constexpr int default_mib = 512;
	static constexpr int min_mib = 16;
	static constexpr int max_mib = 1 << 20;  // 1 TiB
	static_assert(max_mib == 1024 * 1024, "the messages say 1 TiB");
	static constexpr std::int64_t setting_unit = 16 * 1024;  // libtorrent's cache_size counts these

	// A budget of `mib` MiB, or why not.
	static Expected<MemoryBudget> from_mib(int mib)
	{
		if (mib < min_mib || mib > max_mib)
			return Error{fmt::format("{} MiB: the memory budget must be between {} MiB and 1 TiB", mib, min_mib),
				Errc::invalid_argument};
		return MemoryBudget(std::int64_t(mib) << 20);
	}
	// What libtorrent's cache_size setting says; the default if it says
	// nothing usable.
	static MemoryBudget from_setting(int blocks)
	{
		if (blocks <= 0) return MemoryBudget(std::int64_t(default_mib) << 20);
		return MemoryBudget(std::int64_t(blocks) * setting_unit);
	}

	std::int64_t bytes() const { return m_bytes; }
	int mib() const { return int(m_bytes >> 20); }
	// For lt::settings_pack::cache_size.
	int setting() const { return int(m_bytes / setting_unit); }

private:
	explicit MemoryBudget(std::int64_t bytes) : m_bytes(bytes) {}
	std::int64_t m_bytes;
};

}  // namespace ezio::api
