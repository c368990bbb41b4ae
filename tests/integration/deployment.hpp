// Checks shared by the deployment tests.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/scratch.hpp"

namespace ezio::test {

// Every byte of every extent of `target` equals `source`'s.
inline void expect_extents_equal(std::string const& source, std::string const& target,
	std::vector<torrent::Extent> const& extents)
{
	for (auto const& e : extents) {
		auto const diff = find_difference(source, target, e.offset, e.length);
		EXPECT_FALSE(diff) << "target differs from source at byte " << *diff << " (extent at " << e.offset
						   << ", " << e.length << " bytes)";
		if (diff) return;
	}
}

// Every byte of every gap still holds the pattern the target was filled with.
inline void expect_gaps_untouched(std::string const& target, std::vector<torrent::Extent> const& gaps,
	std::uint64_t seed)
{
	for (auto const& g : gaps) {
		auto const bad = find_pattern_mismatch(target, g.offset, g.length, seed);
		EXPECT_FALSE(bad) << "a gap was written to at byte " << *bad << " (gap at " << g.offset << ", " << g.length
						  << " bytes)";
		if (bad) return;
	}
}

}  // namespace ezio::test
