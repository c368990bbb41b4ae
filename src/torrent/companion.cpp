#include "torrent/companion.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "common/hex.hpp"
#include "storage/extent_map.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::torrent {

Expected<std::vector<Extent>> extents_of(lt::torrent_info const& t)
{
	auto chunked = chunk::read_layout(t);
	if (!chunked) return chunked.error_value();
	if (chunked->has_value()) return Error{"it is a chunked torrent, not of the Clonezilla layout", Errc::invalid_argument};
	auto map = storage::ExtentMap::build(t.files());
	if (!map) return map.error_value();
	std::vector<Extent> extents;
	extents.reserve(std::size_t(t.files().num_files()));
	for (lt::file_index_t const f : t.files().file_range())
		extents.push_back({map->file_offset(f).value(), t.files().file_size(f)});
	return extents;
}

namespace {

// One file of a btzone directory: an extent's bytes.
struct ExtentFile {
	std::int64_t offset = 0;
	std::int64_t length = 0;
	std::string path;
};

Status read_file_at(ExtentFile const& file, std::int64_t into, std::int64_t length, char* out)
{
	int const fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) return Error{fmt::format("cannot open '{}': {}", file.path, std::strerror(errno)), Errc::io};
	Status result = Ok{};
	for (std::int64_t done = 0; done < length;) {
		ssize_t const n = ::pread(fd, out + done, std::size_t(length - done), off_t(into + done));
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) {
			result = Error{fmt::format("cannot read '{}': {}", file.path, n < 0 ? std::strerror(errno) : "it is shorter than its extent"),
				Errc::io};
			break;
		}
		done += n;
	}
	::close(fd);
	return result;
}

}  // namespace

Expected<ReadAt> btzone_reader(lt::torrent_info const& t, std::string const& directory)
{
	auto extents = extents_of(t);
	if (!extents) return extents.error_value();
	auto files = std::make_shared<std::vector<ExtentFile>>();
	files->reserve(extents->size());
	for (lt::file_index_t const f : t.files().file_range()) {
		Extent const& e = (*extents)[std::size_t(static_cast<int>(f))];
		std::string path = directory + "/" + t.files().file_path(f);
		struct stat st {};
		if (::stat(path.c_str(), &st) != 0)
			return Error{fmt::format("cannot read '{}': {}", path, std::strerror(errno)),
				errno == ENOENT ? Errc::not_found : Errc::io};
		if (!S_ISREG(st.st_mode) || st.st_size != e.length)
			return Error{fmt::format("'{}' is not a file of {} bytes, as its extent is", path, e.length),
				Errc::invalid_argument};
		files->push_back({e.offset, e.length, std::move(path)});
	}
	return ReadAt([files](std::int64_t offset, std::int64_t length, char* out) -> Status {
		// The first extent that ends after `offset`; every byte read must lie in one.
		auto it = std::upper_bound(files->begin(), files->end(), offset,
			[](std::int64_t at, ExtentFile const& f) { return at < f.offset + f.length; });
		while (length > 0) {
			if (it == files->end() || it->offset > offset)
				return Error{fmt::format("bytes at {:#x} are in no extent of the torrent", offset), Errc::internal};
			std::int64_t const into = offset - it->offset;
			std::int64_t const take = std::min(length, it->length - into);
			if (auto const s = read_file_at(*it, into, take, out); !s) return s;
			offset += take;
			out += take;
			length -= take;
			++it;
		}
		return Ok{};
	});
}

Expected<ReadAt> source_reader(lt::torrent_info const& t, std::string const& path)
{
	struct stat st {};
	if (::stat(path.c_str(), &st) != 0)
		return Error{fmt::format("cannot read '{}': {}", path, std::strerror(errno)),
			errno == ENOENT ? Errc::not_found : Errc::io};
	if (S_ISDIR(st.st_mode)) return btzone_reader(t, path);
	auto extents = extents_of(t);
	if (!extents) return extents.error_value();
	return image_read_at(path, extents->back().offset + extents->back().length);
}

Expected<Companion> make_companion(lt::torrent_info const& t, ReadAt const& read, ChunkOptions options)
{
	auto extents = extents_of(t);
	if (!extents) return extents.error_value();
	// Made of the bytes T describes, or not at all: every piece of T is
	// checked first.
	auto hashes = hash_extents(read, *extents, t.piece_length(), {options.threads, {}});
	if (!hashes) return hashes.error_value();
	for (lt::piece_index_t const p : t.piece_range())
		if ((*hashes)[std::size_t(static_cast<int>(p))] != t.hash_for_piece(p))
			return Error{fmt::format("piece {} of the data does not match the torrent's hash", static_cast<int>(p)),
				Errc::invalid_argument};

	options.window = auto_window(*extents);
	options.level = companion_level;
	auto layout = make_chunks(read, *extents, options);
	if (!layout) return layout.error_value();
	layout->companion_of = t.info_hashes().v1;
	// No trackers, creator or date: the same bytes make the same file
	// everywhere (and only its info dictionary travels, over ut_metadata).
	auto torrent = build_chunked_torrent({t.name(), {}, {}, false}, *layout);
	if (!torrent) return torrent.error_value();
	auto loaded = load_torrent(*torrent);
	if (!loaded) return Error{fmt::format("the companion made does not load: {}", loaded.error()), Errc::internal};
	return Companion{std::move(*layout), std::move(*torrent), (*loaded)->info_hashes().v1};
}

Status check_companion(chunk::Layout const& c, lt::torrent_info const& t)
{
	if (!c.companion_of || *c.companion_of != t.info_hashes().v1)
		return Error{fmt::format("it does not name {} as the torrent it stands in for", to_hex(t.info_hashes().v1)),
			Errc::invalid_argument};
	auto extents = extents_of(t);
	if (!extents) return extents.error_value();
	std::int64_t const window = auto_window(*extents);
	if (c.window != window || c.zstd_level != companion_level)
		return Error{fmt::format("its window ({} bytes) or zstd level ({}) is not a companion's ({} bytes, level {})",
			c.window, c.zstd_level, window, companion_level), Errc::invalid_argument};
	std::vector<chunk::Chunk> const expected = cut_into_windows(*extents, window);
	if (expected.size() != c.chunks.size())
		return Error{fmt::format("it has {} chunks where the torrent's extents fill {} windows", c.chunks.size(),
			expected.size()), Errc::invalid_argument};
	for (std::size_t k = 0; k < expected.size(); ++k)
		if (expected[k].disk_offset != c.chunks[k].disk_offset || expected[k].extents != c.chunks[k].extents)
			return Error{fmt::format("chunk {} (window at {:#x}) does not cover the torrent's extents there", k,
				c.chunks[k].disk_offset), Errc::invalid_argument};
	return Ok{};
}

}  // namespace ezio::torrent
