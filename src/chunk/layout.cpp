#include "chunk/layout.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/bencode_limits.hpp"

namespace ezio::chunk {

namespace {

// More extents than this in one window is not a filesystem's layout.
constexpr std::size_t max_extents_per_chunk = 1 << 16;
constexpr std::size_t max_codec_version = 64;

bool power_of_two(std::int64_t v)
{
	return v > 0 && (v & (v - 1)) == 0;
}

Error bad(std::string message)
{
	return Error{std::move(message), Errc::invalid_argument};
}

std::int64_t int_at(lt::bdecode_node const& list, int i, bool& ok)
{
	lt::bdecode_node const n = list.list_at(i);
	if (n.type() != lt::bdecode_node::int_t) {
		ok = false;
		return 0;
	}
	return n.int_value();
}

// One entry of "chunks": [disk offset, raw length, codec, sha256, [offset, length, ...]].
Expected<Chunk> parse_chunk(lt::bdecode_node const& e, std::size_t k)
{
	auto const where = [k](std::string_view what) { return bad(fmt::format("chunk {}: {}", k, what)); };
	if (e.type() != lt::bdecode_node::list_t || e.list_size() != 5)
		return where("is not a list of [disk offset, length, codec, sha256, extents]");
	Chunk c;
	bool ok = true;
	c.disk_offset = int_at(e, 0, ok);
	c.raw_length = int_at(e, 1, ok);
	std::int64_t const codec = int_at(e, 2, ok);
	if (!ok) return where("its offset, length and codec must be integers");
	if (codec != std::int64_t(Codec::stored) && codec != std::int64_t(Codec::zstd))
		return where(fmt::format("codec {} is not one this version knows (0: stored, 1: zstd)", codec));
	c.codec = Codec(codec);
	lt::bdecode_node const digest = e.list_at(3);
	if (digest.type() != lt::bdecode_node::string_t || digest.string_length() != int(lt::sha256_hash::size()))
		return where("its SHA-256 is not 32 bytes");
	c.sha256 = lt::sha256_hash(digest.string_ptr());
	lt::bdecode_node const extents = e.list_at(4);
	if (extents.type() != lt::bdecode_node::list_t || extents.list_size() == 0 || extents.list_size() % 2 != 0)
		return where("its extents are not a non-empty list of offset, length pairs");
	if (std::size_t(extents.list_size() / 2) > max_extents_per_chunk)
		return where(fmt::format("it has more than {} extents", max_extents_per_chunk));
	c.extents.reserve(std::size_t(extents.list_size() / 2));
	for (int i = 0; i < extents.list_size(); i += 2) {
		Extent x;
		x.offset = int_at(extents, i, ok);
		x.length = int_at(extents, i + 1, ok);
		if (!ok) return where("an extent's offset or length is not an integer");
		c.extents.push_back(x);
	}
	return c;
}

}  // namespace

std::int64_t Layout::disk_end() const
{
	if (chunks.empty() || chunks.back().extents.empty()) return 0;
	Extent const& last = chunks.back().extents.back();
	return chunks.back().disk_offset + last.offset + last.length;
}

std::int64_t Layout::raw_bytes() const
{
	std::int64_t sum = 0;
	for (Chunk const& c : chunks) sum += c.raw_length;
	return sum;
}

std::int64_t Layout::stored_bytes() const
{
	std::int64_t sum = 0;
	for (Chunk const& c : chunks) sum += c.stored_length;
	return sum;
}

Status validate(Layout const& layout)
{
	std::int64_t const window = layout.window;
	if (!power_of_two(window) || window < min_window || window > max_window)
		return bad(fmt::format("the window, {} bytes, is not a power of two from {} to {}", window, min_window, max_window));
	if (layout.zstd_level < min_zstd_level || layout.zstd_level > max_zstd_level)
		return bad(fmt::format("zstd level {} is outside {} to {}", layout.zstd_level, min_zstd_level, max_zstd_level));
	if (layout.codec_version.size() > max_codec_version) return bad("the codec version is too long");
	if (layout.chunks.empty()) return bad("it has no chunks");
	if (!layout.piece_hashes.empty() && layout.piece_hashes.size() != layout.chunks.size())
		return bad(fmt::format("it has {} chunks but {} pieces", layout.chunks.size(), layout.piece_hashes.size()));

	std::int64_t next_window = 0;  // the lowest disk offset the next chunk may have
	for (std::size_t k = 0; k < layout.chunks.size(); ++k) {
		Chunk const& c = layout.chunks[k];
		auto const where = [k](std::string const& what) { return bad(fmt::format("chunk {}: {}", k, what)); };
		if (c.disk_offset < next_window || c.disk_offset % window != 0)
			return where(fmt::format("its window at byte {} is not aligned to {} or not after the previous one",
				c.disk_offset, window));
		if (c.disk_offset > std::numeric_limits<std::int64_t>::max() - 2 * window)
			return where("its window is beyond any disk");
		next_window = c.disk_offset + window;
		if (c.extents.empty()) return where("it has no extents");
		std::int64_t end = 0;  // within the window
		std::int64_t sum = 0;
		for (Extent const& x : c.extents) {
			if (x.length <= 0 || x.offset < end || x.offset > window || x.length > window - x.offset)
				return where(fmt::format("extent at {} of {} bytes is empty, overlaps the one before or leaves the "
					"window", x.offset, x.length));
			end = x.offset + x.length;
			sum += x.length;
		}
		if (sum != c.raw_length)
			return where(fmt::format("its extents hold {} bytes, but it says {}", sum, c.raw_length));
		if (c.stored_length <= 0 || c.stored_length > window)
			return where(fmt::format("its stored length, {} bytes, is not between 1 and the window", c.stored_length));
		if (c.codec != Codec::stored && c.codec != Codec::zstd) return where("its codec is unknown");
		if (c.codec == Codec::stored && c.stored_length != c.raw_length)
			return where(fmt::format("it is stored as it is, but holds {} bytes for {} of data", c.stored_length,
				c.raw_length));
	}
	return Ok{};
}

Expected<Layout> parse_layout(lt::bdecode_node const& dict, lt::file_storage const& files)
{
	if (dict.type() != lt::bdecode_node::dict_t) return bad(fmt::format("'{}' is not a dictionary", info_key));
	if (dict.dict_find_int_value("format", -1) != format_version)
		return bad(fmt::format("'{}' is of a format this version does not read (it reads {})", info_key, format_version));
	Layout layout;
	layout.window = dict.dict_find_int_value("window", -1);
	if (dict.dict_find_string_value("codec") != "zstd")
		return bad("its codec is not 'zstd', the one this version knows");
	std::int64_t const level = dict.dict_find_int_value("zstd level", -1);
	layout.zstd_level = level < min_zstd_level || level > max_zstd_level ? -1 : int(level);
	layout.codec_version = std::string(dict.dict_find_string_value("codec version"));
	if (lt::bdecode_node const of = dict.dict_find(companion_key); of) {
		if (of.type() != lt::bdecode_node::string_t || of.string_length() != int(lt::sha1_hash::size()))
			return bad(fmt::format("its '{}' is not an info-hash (20 bytes)", companion_key));
		layout.companion_of = lt::sha1_hash(of.string_ptr());
	}

	lt::bdecode_node const list = dict.dict_find_list("chunks");
	if (!list) return bad("it has no list of chunks");
	layout.chunks.reserve(std::size_t(std::min(list.list_size(), files.num_files())));
	for (int i = 0; i < list.list_size(); ++i) {
		auto chunk = parse_chunk(list.list_at(i), std::size_t(i));
		if (!chunk) return chunk.error_value();
		layout.chunks.push_back(std::move(chunk.value()));
	}

	// The files: chunk k is the k-th file that is not padding, it starts
	// piece k, and pad files only fill a piece up to its end.
	if (files.piece_length() != layout.window)
		return bad(fmt::format("its piece length, {}, is not its window, {}", files.piece_length(), layout.window));
	if (std::size_t(files.num_pieces()) != layout.chunks.size())
		return bad(fmt::format("it has {} pieces for {} chunks", files.num_pieces(), layout.chunks.size()));
	std::size_t k = 0;
	for (lt::file_index_t const f : files.file_range()) {
		std::int64_t const offset = files.file_offset(f);
		std::int64_t const size = files.file_size(f);
		if (files.pad_file_at(f)) {
			if (k == 0 || (offset + size) % layout.window != 0 || offset + size > std::int64_t(k) * layout.window)
				return bad(fmt::format("pad file {} does not end where a chunk's piece ends", int(f)));
			continue;
		}
		if (k == layout.chunks.size()) return bad("it has more files than chunks");
		if (offset != std::int64_t(k) * layout.window)
			return bad(fmt::format("chunk {} does not start piece {}", k, k));
		layout.chunks[k].stored_length = size;
		layout.chunks[k].file = f;
		++k;
	}
	if (k != layout.chunks.size()) return bad(fmt::format("it has {} chunk files for {} chunks", k, layout.chunks.size()));
	if (auto const s = validate(layout); !s) return s.error_value();
	return layout;
}

Expected<std::optional<Layout>> read_layout(lt::torrent_info const& ti)
{
	// Decoded here with the limits the whole torrent was loaded with:
	// torrent_info::info() decodes with libtorrent's default of 2 million
	// tokens, and a large chunk list (550,000 chunks) past it looked like
	// no chunk list at all.
	lt::error_code ec;
	int error_position = 0;
	lt::bdecode_node const info = lt::bdecode(ti.info_section(), ec, &error_position, max_bencode_depth,
		max_bencode_tokens);
	if (ec)
		return Error{fmt::format("its info dictionary does not decode within EZIO's limits ({} at byte {}; at most "
			"{} tokens)", ec.message(), error_position, max_bencode_tokens), Errc::invalid_argument};
	lt::bdecode_node const dict = info.dict_find(info_key);
	if (dict.type() == lt::bdecode_node::none_t) return std::optional<Layout>();
	auto layout = parse_layout(dict, ti.files());
	if (!layout) return Error{fmt::format("its chunk list ('{}'): {}", info_key, layout.error()), Errc::invalid_argument};
	layout->piece_hashes.reserve(std::size_t(ti.num_pieces()));
	for (lt::piece_index_t const p : ti.piece_range()) layout->piece_hashes.push_back(ti.hash_for_piece(p));
	return std::optional<Layout>(std::move(layout.value()));
}

lt::entry layout_entry(Layout const& layout)
{
	lt::entry e(lt::entry::dictionary_t);
	e["format"] = format_version;
	e["window"] = layout.window;
	e["codec"] = "zstd";
	e["zstd level"] = layout.zstd_level;
	e["codec version"] = layout.codec_version;
	if (layout.companion_of) e[companion_key] = layout.companion_of->to_string();
	lt::entry::list_type& chunks = e["chunks"].list();
	chunks.reserve(layout.chunks.size());
	for (Chunk const& c : layout.chunks) {
		lt::entry::list_type one;
		one.emplace_back(c.disk_offset);
		one.emplace_back(c.raw_length);
		one.emplace_back(std::int64_t(c.codec));
		one.emplace_back(std::string(c.sha256.data(), c.sha256.size()));
		lt::entry::list_type extents;
		extents.reserve(c.extents.size() * 2);
		for (Extent const& x : c.extents) {
			extents.emplace_back(x.offset);
			extents.emplace_back(x.length);
		}
		one.emplace_back(std::move(extents));
		chunks.emplace_back(std::move(one));
	}
	return e;
}

}  // namespace ezio::chunk
