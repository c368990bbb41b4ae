// Strong types for the two kinds of byte offset the engine handles.
//
// A TorrentOffset is a position in a torrent's data: the concatenation of its
// extents, which is what pieces are cut from. A DiskOffset is a position on
// the target device or image. They differ wherever the partition has unused
// blocks, so mixing them up writes data to the wrong place. The types make
// that a compile error: the only way from one to the other is ExtentMap.
#pragma once

#include <compare>
#include <cstdint>

namespace ezio::storage {

template <typename Tag>
class ByteOffset {
public:
	constexpr ByteOffset() = default;
	constexpr explicit ByteOffset(std::int64_t value) : m_value(value) {}

	constexpr std::int64_t value() const { return m_value; }

	constexpr ByteOffset operator+(std::int64_t length) const { return ByteOffset(m_value + length); }
	constexpr ByteOffset& operator+=(std::int64_t length)
	{
		m_value += length;
		return *this;
	}
	// The distance between two offsets of the same kind is a plain length.
	constexpr std::int64_t operator-(ByteOffset other) const { return m_value - other.m_value; }

	constexpr auto operator<=>(ByteOffset const&) const = default;

private:
	std::int64_t m_value = 0;
};

using TorrentOffset = ByteOffset<struct TorrentOffsetTag>;
using DiskOffset = ByteOffset<struct DiskOffsetTag>;

}  // namespace ezio::storage
