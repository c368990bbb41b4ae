#include "storage/extent_map.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include <fmt/format.h>

namespace ezio::storage {

std::optional<DiskOffset> parse_extent_name(std::string_view name)
{
	if (name.empty() || name.size() > 32) return std::nullopt;
	std::uint64_t value = 0;
	for (char const c : name) {
		int digit = 0;
		if (c >= '0' && c <= '9') digit = c - '0';
		else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
		else return std::nullopt;
		// 32 digits allow values up to 2^128; only those below 2^63 are offsets.
		if (value > (std::uint64_t(std::numeric_limits<std::int64_t>::max()) >> 4)) return std::nullopt;
		value = (value << 4) | std::uint64_t(digit);
	}
	if (value > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
	return DiskOffset(std::int64_t(value));
}

namespace {

// The name an extent is known by in messages: its path in the torrent.
std::string describe(lt::file_storage const& files, lt::file_index_t file)
{
	return fmt::format("file {} '{}'", static_cast<int>(file), files.file_path(file));
}

}  // namespace

Expected<ExtentMap> ExtentMap::build(lt::file_storage const& files)
{
	if (files.num_files() == 0) return Error{"the torrent has no files", Errc::invalid_argument};
	if (files.piece_length() <= 0) return Error{"the torrent has no valid piece length", Errc::invalid_argument};

	ExtentMap map;
	map.m_piece_length = files.piece_length();
	map.m_num_pieces = files.num_pieces();
	map.m_num_files = files.num_files();
	map.m_total_size = files.total_size();
	map.m_file_offsets.reserve(std::size_t(files.num_files()));

	// In a single-file torrent the file's name is the torrent's name; in a
	// multi-file one every path is "<torrent name>/<hex offset>".
	bool const single_file = files.num_files() == 1 && files.file_path(lt::file_index_t{0}) == files.name();
	std::string const prefix = files.name() + "/";

	std::optional<Segment> previous;
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f))
			return Error{fmt::format("{} is a pad file; EZIO needs torrents without pad files "
				"(create them v1-only, without alignment)", describe(files, f)), Errc::invalid_argument};

		std::string const path = files.file_path(f);
		std::string_view name = path;
		if (!single_file) {
			if (path.compare(0, prefix.size(), prefix) != 0)
				return Error{fmt::format("{} is not inside the torrent's directory", describe(files, f)), Errc::invalid_argument};
			name.remove_prefix(prefix.size());
		}
		auto const disk = parse_extent_name(name);
		if (!disk)
			return Error{fmt::format("{}: the name '{}' is not a byte offset in hex "
				"(extents are named by their offset, 1 to 32 hex digits)", describe(files, f), name), Errc::invalid_argument};

		std::int64_t const length = files.file_size(f);
		if (length > std::numeric_limits<std::int64_t>::max() - disk->value())
			return Error{fmt::format("{} ends beyond the largest possible disk offset", describe(files, f)), Errc::invalid_argument};

		Segment const segment{TorrentOffset(files.file_offset(f)), *disk, length, f};
		if (previous && segment.disk < previous->disk + previous->length)
			return Error{fmt::format("{} (disk offset {:#x}) overlaps or comes before the previous extent, "
				"which ends at {:#x}; extents must be sorted and must not overlap",
				describe(files, f), disk->value(), (previous->disk + previous->length).value()), Errc::invalid_argument};
		previous = segment;

		map.m_file_offsets.push_back(*disk);
		map.m_end = std::max(map.m_end, *disk + length);
		if (length > 0) map.m_segments.push_back(segment);
	}
	return map;
}

int ExtentMap::piece_size(lt::piece_index_t piece) const
{
	std::int64_t const start = std::int64_t(static_cast<int>(piece)) * m_piece_length;
	return int(std::min<std::int64_t>(m_piece_length, m_total_size - start));
}

DiskOffset ExtentMap::file_offset(lt::file_index_t file) const
{
	return m_file_offsets[std::size_t(static_cast<int>(file))];
}

void ExtentMap::map(lt::piece_index_t piece, int start, int length, std::vector<DiskRun>& out) const
{
	// A piece's position in the torrent's data, not on the disk: the segment
	// table below is what turns it into disk positions.
	TorrentOffset position(std::int64_t(static_cast<int>(piece)) * m_piece_length + start);
	std::int64_t remaining = length;

	// The last segment that starts at or before `position`.
	auto it = std::upper_bound(m_segments.begin(), m_segments.end(), position,
		[](TorrentOffset p, Segment const& s) { return p < s.start; });
	if (it != m_segments.begin()) --it;

	for (; remaining > 0 && it != m_segments.end(); ++it) {
		std::int64_t const into = position - it->start;
		if (into >= it->length) continue;
		std::int64_t const take = std::min(remaining, it->length - into);
		DiskOffset const disk = it->disk + into;
		if (!out.empty() && out.back().end() == disk) out.back().length += take;
		else out.push_back(DiskRun{disk, take, it->file});
		position += take;
		remaining -= take;
	}
}

}  // namespace ezio::storage
