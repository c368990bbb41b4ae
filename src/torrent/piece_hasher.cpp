#include "torrent/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <libtorrent/hasher.hpp>

#include "storage/io_backend.hpp"

namespace ezio::torrent {

Expected<std::vector<lt::sha1_hash>> hash_extents(std::string const& path, std::vector<Extent> const& extents,
	int piece_length, HashProgress const& progress)
{
	int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) return Error{fmt::format("cannot open '{}': {}", path, std::strerror(errno))};
	auto const io = storage::make_posix_io();

	std::int64_t total = 0;
	for (Extent const& e : extents) total += e.length;
	int const pieces = int((total + piece_length - 1) / piece_length);

	std::vector<lt::sha1_hash> hashes;
	hashes.reserve(std::size_t(pieces));
	std::vector<char> buffer(static_cast<std::size_t>(piece_length));
	std::size_t filled = 0;
	lt::error_code ec;

	auto finish_piece = [&] {
		hashes.push_back(lt::hasher(buffer.data(), int(filled)).final());
		filled = 0;
		if (progress) progress(int(hashes.size()), pieces);
	};

	for (Extent const& e : extents) {
		std::int64_t done = 0;
		while (done < e.length && !ec) {
			std::size_t const take = std::size_t(std::min<std::int64_t>(e.length - done, std::int64_t(buffer.size() - filled)));
			iovec const v{buffer.data() + filled, take};
			ec = io->read(fd, std::span(&v, 1), storage::DiskOffset(e.offset + done));
			filled += take;
			done += std::int64_t(take);
			if (filled == buffer.size()) finish_piece();
		}
		if (ec) break;
	}
	::close(fd);
	if (ec) return Error{fmt::format("cannot read '{}': {}", path, ec.message())};
	if (filled > 0) finish_piece();
	return hashes;
}

}  // namespace ezio::torrent
