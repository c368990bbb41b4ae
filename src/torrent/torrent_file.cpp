#include "torrent/torrent_file.hpp"

#include <fmt/format.h>
#include <libtorrent/bdecode.hpp>

namespace ezio::torrent {

Expected<std::shared_ptr<lt::torrent_info>> load_torrent(std::string_view data)
{
	if (data.empty()) return Error{"the torrent is empty", Errc::invalid_argument};
	if (data.size() > std::size_t(max_torrent_bytes))
		return Error{fmt::format("the torrent is {} bytes; the limit is {}", data.size(), max_torrent_bytes), Errc::invalid_argument};

	lt::error_code ec;
	int error_position = 0;
	lt::bdecode_node const root = lt::bdecode(lt::span<char const>(data.data(), std::ptrdiff_t(data.size())), ec,
		&error_position, max_bencode_depth, max_bencode_tokens);
	if (ec)
		return Error{fmt::format("the torrent is not valid bencoding ({} at byte {})", ec.message(), error_position), Errc::invalid_argument};

	auto info = std::make_shared<lt::torrent_info>(root, ec);
	if (ec) return Error{fmt::format("the torrent is not usable: {}", ec.message()), Errc::invalid_argument};

	if (info->info_hashes().has_v2())
		return Error{fmt::format("torrent '{}' is a {} torrent; EZIO deploys v1 torrents only "
			"(create it again as v1, e.g. with 'ezioctl create')",
			info->name(), info->info_hashes().has_v1() ? "hybrid (v1+v2)" : "v2"), Errc::invalid_argument};
	// No data hashes to zero, and the engine answers the check of a piece a
	// resume record does not claim with a zero hash (it is not there).
	for (lt::piece_index_t const p : info->piece_range())
		if (info->hash_for_piece(p).is_all_zeros())
			return Error{fmt::format("torrent '{}': piece {} has an all-zero hash, which no data has", info->name(),
				static_cast<int>(p)), Errc::invalid_argument};
	return info;
}

}  // namespace ezio::torrent
