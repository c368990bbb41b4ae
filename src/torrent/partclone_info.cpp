#include "torrent/partclone_info.hpp"

#include <charconv>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "common/hex.hpp"

namespace ezio::torrent {

namespace {

std::string_view trim(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
	return s;
}

// A non-negative number that fits int64, in base 10 or 16 (up to 32 digits
// with leading zeros, as partclone pads to 128 bits).
std::optional<std::int64_t> parse_number(std::string_view s, int base)
{
	while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
	if (s.empty()) return std::nullopt;
	std::int64_t value = 0;
	auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
	if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
	return value;
}

}  // namespace

std::int64_t PartcloneInfo::used_bytes() const
{
	std::int64_t total = 0;
	for (Extent const& e : extents) total += e.length;
	return total;
}

Expected<PartcloneInfo> parse_partclone_info(std::string_view text)
{
	PartcloneInfo info;
	std::int64_t pending_offset = -1;  // an offset line waiting for its length
	int line_number = 0;
	std::int64_t end_of_previous = 0;

	while (!text.empty()) {
		auto const newline = text.find('\n');
		std::string_view line = text.substr(0, newline);
		text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
		++line_number;
		line = trim(line);
		if (line.empty()) continue;

		auto const fail = [&](std::string_view why) {
			return Error{fmt::format("torrent.info line {}: {} ('{}')", line_number, why, line.substr(0, 80)), Errc::invalid_argument};
		};
		auto const colon = line.find(':');
		if (colon == std::string_view::npos) return fail("expected 'key: value'");
		std::string_view const key = trim(line.substr(0, colon));
		std::string_view const value = trim(line.substr(colon + 1));

		if (key == "offset" || key == "length") {
			if (value.size() > 32) return fail("more than 32 hex digits");
			auto const number = parse_number(value, 16);
			if (!number) return fail("not a hex number below 2^63");
			if (key == "offset") {
				if (pending_offset >= 0) return fail("offset without a length before it");
				if (*number < end_of_previous) return fail("extent overlaps or comes before the previous one");
				pending_offset = *number;
				continue;
			}
			if (pending_offset < 0) return fail("length without an offset before it");
			std::int64_t const start = pending_offset;
			pending_offset = -1;
			if (*number == 0) return fail("empty extent");
			if (*number > std::numeric_limits<std::int64_t>::max() - start) return fail("extent ends beyond 2^63");
			info.extents.push_back(Extent{start, *number});
			end_of_previous = start + *number;
		} else if (key == "sha1") {
			auto const hash = parse_sha1_hex(value);
			if (!hash) return fail("not a SHA-1 (40 hex digits)");
			info.piece_hashes.push_back(*hash);
		} else if (key == "block_size" || key == "blocks_total") {
			auto const number = parse_number(value, 10);
			if (!number || *number == 0) return fail("not a positive number");
			(key == "block_size" ? info.block_size : info.blocks_total) = *number;
		} else {
			return fail("unknown key");
		}
	}
	if (pending_offset >= 0) return Error{"torrent.info ends with an offset that has no length", Errc::invalid_argument};
	if (info.extents.empty()) return Error{"torrent.info lists no extents", Errc::invalid_argument};
	if (info.piece_hashes.empty()) return Error{"torrent.info lists no sha1 lines", Errc::invalid_argument};
	if (info.block_size > 0 && info.blocks_total > 0) {
		if (info.block_size > std::numeric_limits<std::int64_t>::max() / info.blocks_total)
			return Error{"torrent.info: block_size * blocks_total overflows", Errc::invalid_argument};
		std::int64_t const device = info.block_size * info.blocks_total;
		if (end_of_previous > device)
			return Error{fmt::format("torrent.info: the last extent ends at {} bytes, past the end of the "
				"filesystem ({} blocks of {} bytes)", end_of_previous, info.blocks_total, info.block_size), Errc::invalid_argument};
	}
	return info;
}

}  // namespace ezio::torrent
