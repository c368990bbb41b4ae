#include "torrent/chunk_maker.hpp"

#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>

#include "chunk/codec.hpp"
#include "common/env.hpp"
#include "torrent/image_reader.hpp"
#include "torrent/parallel.hpp"
#include "torrent/torrent_builder.hpp"

namespace ezio::torrent {

std::vector<chunk::Chunk> cut_into_windows(std::vector<Extent> const& extents, std::int64_t window)
{
	std::vector<chunk::Chunk> chunks;
	for (Extent const& e : extents) {
		for (std::int64_t at = e.offset, end = e.offset + e.length; at < end;) {
			std::int64_t const start = at / window * window;
			std::int64_t const take = std::min(end, start + window) - at;
			if (chunks.empty() || chunks.back().disk_offset != start) {
				chunks.emplace_back();
				chunks.back().disk_offset = start;
			}
			chunk::Chunk& c = chunks.back();
			if (!c.extents.empty() && c.extents.back().offset + c.extents.back().length == at - start)
				c.extents.back().length += take;  // extents that touch are one
			else
				c.extents.push_back({at - start, take});
			c.raw_length += take;
			at += take;
		}
	}
	return chunks;
}

namespace {

// Chunk c's used bytes, concatenated, into `raw`.
Status read_chunk(ReadAt const& read, chunk::Chunk const& c, Bytes& raw)
{
	raw.resize(std::size_t(c.raw_length));
	Status result = Ok{};
	chunk::for_each_run(c, [&](chunk::ExtentRun const& run) {
		result = read(run.disk_offset, run.length, raw.data() + run.position);
		return bool(result);
	});
	return result;
}

}  // namespace

Expected<std::vector<int>> verify_chunks(std::string const& path, chunk::Layout const& layout, int threads)
{
	auto opened = image_read_at(path, layout.disk_end());
	if (!opened) return opened.error_value();
	ReadAt const& read = *opened;
	std::vector<char> matches(layout.chunks.size(), 0);
	auto const s = run_parallel(int(layout.chunks.size()), threads, {}, [&](int k, Scratch& scratch) -> Status {
		chunk::Chunk const& c = layout.chunks[std::size_t(k)];
		if (auto const s = read_chunk(read, c, scratch.a); !s) return s;
		matches[std::size_t(k)] = chunk::sha256(scratch.a) == c.sha256;
		return Ok{};
	});
	if (!s) return s.error_value();
	std::vector<int> bad;
	for (std::size_t k = 0; k < matches.size(); ++k)
		if (!matches[k]) bad.push_back(int(k));
	return bad;
}

std::int64_t auto_window(std::vector<Extent> const& extents)
{
	for (std::int64_t window = smallest_auto_window; window < chunk::max_window; window *= 2) {
		// Windows touched by sorted extents; one that ends in a window
		// and the next that starts in it share it.
		std::int64_t windows = 0;
		std::int64_t last = -1;
		for (Extent const& e : extents) {
			if (e.length <= 0) continue;
			std::int64_t const first = e.offset / window;
			std::int64_t const end = (e.offset + e.length - 1) / window;
			windows += std::max<std::int64_t>(0, end - std::max(first, last + 1) + 1);
			last = std::max(last, end);
		}
		if (windows <= max_auto_chunks) return window;
	}
	return chunk::max_window;
}

namespace {

// The layout make_chunks fills in, once its options and the extents are
// checked: before any reading.
Expected<chunk::Layout> empty_layout(std::vector<Extent> const& extents, ChunkOptions const& options)
{
	std::int64_t end = 0;
	for (Extent const& e : extents) {
		if (e.length <= 0 || e.offset < end)
			return Error{fmt::format("extent at {:#x} is empty, unsorted or overlapping", e.offset), Errc::invalid_argument};
		end = e.offset + e.length;
	}
	if (extents.empty()) return Error{"no extents", Errc::invalid_argument};
	chunk::Layout layout;
	layout.window = options.window != 0 ? options.window : auto_window(extents);
	layout.zstd_level = options.level;
	layout.codec_version = chunk::codec_version();
	chunk::Layout probe = layout;
	probe.chunks.push_back(chunk::Chunk{0, {{0, 1}}, 1, 1, chunk::Codec::stored, {}});
	if (auto const s = chunk::validate(probe); !s) return s.error_value();
	return layout;
}

}  // namespace

Expected<chunk::Layout> make_chunks(std::string const& path, std::vector<Extent> const& extents,
	ChunkOptions const& options)
{
	if (auto const checked = empty_layout(extents, options); !checked) return checked.error_value();
	auto read = image_read_at(path, extents.back().offset + extents.back().length);
	if (!read) return read.error_value();
	return make_chunks(*read, extents, options);
}

Expected<chunk::Layout> make_chunks(ReadAt const& read, std::vector<Extent> const& extents, ChunkOptions const& options)
{
	auto made = empty_layout(extents, options);
	if (!made) return made.error_value();
	chunk::Layout& layout = *made;
	layout.chunks = cut_into_windows(extents, layout.window);
	layout.piece_hashes.resize(layout.chunks.size());

	auto const s = run_parallel(int(layout.chunks.size()), options.threads, options.progress,
		[&](int k, Scratch& scratch) -> Status {
			chunk::Chunk& c = layout.chunks[std::size_t(k)];
			Bytes& raw = scratch.a;
			if (auto const got = read_chunk(read, c, raw); !got) return got;
			c.sha256 = chunk::sha256(raw);
			Bytes& stored = scratch.b;
			c.codec = chunk::encode(raw, layout.zstd_level, stored);
			c.stored_length = std::int64_t(stored.size());
			// Every piece is a whole window but the last, which ends with its chunk.
			bool const last = std::size_t(k) + 1 == layout.chunks.size();
			layout.piece_hashes[std::size_t(k)] = chunk::piece_hash(stored, last ? c.stored_length : layout.window);
			if (options.store) return options.store(c, stored);
			return Ok{};
		});
	if (!s) return s.error_value();
	if (auto const valid = chunk::validate(layout); !valid) return valid.error_value();
	return std::move(layout);
}

Expected<ReadAt> image_read_at(std::string const& path, std::int64_t needed_bytes)
{
	auto opened = ImageReader::open(path, needed_bytes);
	if (!opened) return opened.error_value();
	std::shared_ptr<ImageReader const> reader = std::move(*opened);
	return ReadAt([reader, path](std::int64_t offset, std::int64_t length, char* out) -> Status {
		if (auto const ec = reader->read(offset, length, out))
			return Error{fmt::format("cannot read '{}': {}", path, ec.message()), Errc::io};
		return Ok{};
	});
}

std::string chunk_file_name(chunk::Chunk const& c)
{
	return extent_name(c.disk_offset, 16);
}

Status store_chunk(std::string const& directory, chunk::Chunk const& c, std::span<char const> stored)
{
	return Env::system().write_file(directory + "/" + chunk_file_name(c),
		std::string_view(stored.data(), stored.size()), true);
}

Expected<std::string> build_chunked_torrent(ChunkedTorrentSpec const& spec, chunk::Layout const& layout)
{
	if (spec.name.empty() || spec.name.find('/') != std::string::npos)
		return Error{"the torrent's name must be non-empty and contain no '/'", Errc::invalid_argument};
	if (auto const valid = chunk::validate(layout); !valid) return valid.error_value();
	if (layout.piece_hashes.size() != layout.chunks.size())
		return Error{"every chunk needs its piece hash", Errc::invalid_argument};

	lt::file_storage files;
	for (std::size_t k = 0; k < layout.chunks.size(); ++k) {
		chunk::Chunk const& c = layout.chunks[k];
		files.add_file(spec.name + "/" + chunk_file_name(c), c.stored_length);
		std::int64_t const pad = layout.window - c.stored_length;
		if (k + 1 < layout.chunks.size() && pad > 0)
			files.add_file(fmt::format("{}/.pad/{}", spec.name, pad), pad, lt::file_storage::flag_pad_file);
	}
	try {
		lt::create_torrent creator(files, int(layout.window), lt::create_torrent::v1_only);
		if (creator.num_pieces() != int(layout.chunks.size()))
			return Error{fmt::format("{} chunks made {} pieces", layout.chunks.size(), creator.num_pieces()),
				Errc::internal};
		for (int i = 0; i < creator.num_pieces(); ++i)
			creator.set_hash(lt::piece_index_t{i}, layout.piece_hashes[std::size_t(i)]);
		for (std::string const& url : spec.trackers) creator.add_tracker(url);
		if (!spec.creator.empty()) creator.set_creator(spec.creator.c_str());
		lt::entry torrent = creator.generate();
		torrent["info"][chunk::info_key] = chunk::layout_entry(layout);
		if (!spec.dated) torrent.dict().erase("creation date");
		std::string out;
		lt::bencode(std::back_inserter(out), torrent);
		return out;
	} catch (std::exception const& e) {
		return Error{fmt::format("cannot build the torrent: {}", e.what()), Errc::internal};
	}
}

}  // namespace ezio::torrent
