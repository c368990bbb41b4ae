#include "torrent/torrent_builder.hpp"

#include <iterator>

#include <fmt/format.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>

namespace ezio::torrent {

std::string extent_name(std::int64_t offset, int digits)
{
	return fmt::format("{:0{}x}", offset, digits);
}

Expected<std::string> build_torrent(TorrentSpec const& spec)
{
	if (spec.name.empty() || spec.name.find('/') != std::string::npos)
		return Error{"the torrent's name must be non-empty and contain no '/'", Errc::invalid_argument};
	if (spec.piece_length < 16 * 1024 || (spec.piece_length & (spec.piece_length - 1)) != 0)
		return Error{fmt::format("piece length {} is not a power of two of at least 16 KiB", spec.piece_length), Errc::invalid_argument};
	if (spec.extents.empty()) return Error{"no extents", Errc::invalid_argument};
	if (spec.single_file && spec.extents.size() != 1) return Error{"a single-file torrent has exactly one extent", Errc::invalid_argument};

	lt::file_storage files;
	std::int64_t end_of_previous = 0;
	for (Extent const& e : spec.extents) {
		if (e.length <= 0 || e.offset < end_of_previous)
			return Error{fmt::format("extent at {:#x} is empty, unsorted or overlapping", e.offset), Errc::invalid_argument};
		end_of_previous = e.offset + e.length;
		std::string const path = spec.single_file ? extent_name(e.offset, 16)
			: spec.name + "/" + extent_name(e.offset, 32);
		files.add_file(path, e.length);
	}

	try {
		lt::create_torrent creator(files, spec.piece_length, lt::create_torrent::v1_only);
		if (creator.num_pieces() != int(spec.piece_hashes.size()))
			return Error{fmt::format("{} extents of {} bytes make {} pieces of {} bytes, but {} piece hashes were given",
				spec.extents.size(), files.total_size(), creator.num_pieces(), spec.piece_length,
				spec.piece_hashes.size()), Errc::invalid_argument};
		for (int i = 0; i < creator.num_pieces(); ++i)
			creator.set_hash(lt::piece_index_t{i}, spec.piece_hashes[std::size_t(i)]);
		for (std::string const& url : spec.trackers) creator.add_tracker(url);
		if (!spec.creator.empty()) creator.set_creator(spec.creator.c_str());

		std::string out;
		lt::bencode(std::back_inserter(out), creator.generate());
		return out;
	} catch (std::exception const& e) {
		return Error{fmt::format("cannot build the torrent: {}", e.what()), Errc::internal};
	}
}

}  // namespace ezio::torrent
