#include "torrent/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <libtorrent/hasher.hpp>

#include "torrent/image_reader.hpp"
#include "torrent/parallel.hpp"

namespace ezio::torrent {

namespace {

// Where each piece's bytes are: extents laid end to end, cut every
// piece_length bytes.
class PieceLayout {
public:
	PieceLayout(std::vector<Extent> const& extents, int piece_length)
		: m_extents(extents), m_piece_length(piece_length)
	{
		std::int64_t position = 0;
		for (Extent const& e : extents) {
			m_starts.push_back(position);
			position += e.length;
		}
		m_total = position;
	}

	int num_pieces() const { return int((m_total + m_piece_length - 1) / m_piece_length); }
	int piece_size(int piece) const
	{
		return int(std::min<std::int64_t>(m_piece_length, m_total - std::int64_t(piece) * m_piece_length));
	}

	// Calls read(disk_offset, length) for each run of the piece, in order.
	template <typename Read>
	lt::error_code for_each_run(int piece, Read read) const
	{
		std::int64_t position = std::int64_t(piece) * m_piece_length;
		std::int64_t const end = position + piece_size(piece);
		std::size_t i = std::size_t(std::upper_bound(m_starts.begin(), m_starts.end(), position) - m_starts.begin()) - 1;
		for (; position < end && i < m_extents.size(); ++i) {
			std::int64_t const into = position - m_starts[i];
			std::int64_t const take = std::min(end - position, m_extents[i].length - into);
			if (take <= 0) continue;
			if (auto const ec = read(m_extents[i].offset + into, take)) return ec;
			position += take;
		}
		return {};
	}

private:
	std::vector<Extent> const& m_extents;
	std::vector<std::int64_t> m_starts;
	std::int64_t m_total = 0;
	int m_piece_length;
};

}  // namespace

Expected<std::vector<lt::sha1_hash>> hash_extents(std::string const& path, std::vector<Extent> const& extents,
	int piece_length, HashOptions const& options)
{
	if (piece_length <= 0) return Error{"the piece length must be positive", Errc::invalid_argument};
	std::int64_t end = 0;
	for (Extent const& e : extents) end = std::max(end, e.offset + e.length);
	auto reader = ImageReader::open(path, end);
	if (!reader) return reader.error_value();

	PieceLayout const layout(extents, piece_length);
	int const pieces = layout.num_pieces();
	std::vector<lt::sha1_hash> hashes(static_cast<std::size_t>(pieces));

	auto const s = run_parallel(pieces, options.threads, options.progress, [&](int piece, Scratch& scratch) -> Status {
		lt::hasher hasher;
		auto const ec = layout.for_each_run(piece, [&](std::int64_t disk, std::int64_t length) {
			return (*reader)->hash_range(disk, length, hasher, scratch.a);
		});
		if (ec) return Error{fmt::format("cannot read '{}': {}", path, ec.message()), Errc::io};
		hashes[std::size_t(piece)] = hasher.final();
		return Ok{};
	});
	if (!s) return s.error_value();
	return hashes;
}

Expected<std::vector<lt::sha1_hash>> hash_extents(ReadAt const& read, std::vector<Extent> const& extents,
	int piece_length, HashOptions const& options)
{
	if (piece_length <= 0) return Error{"the piece length must be positive", Errc::invalid_argument};
	PieceLayout const layout(extents, piece_length);
	int const pieces = layout.num_pieces();
	std::vector<lt::sha1_hash> hashes(static_cast<std::size_t>(pieces));
	// Read in steps that stay in the core's cache until hashed (image_reader.hpp).
	constexpr std::int64_t step = 256 << 10;
	auto const s = run_parallel(pieces, options.threads, options.progress, [&](int piece, Scratch& scratch) -> Status {
		lt::hasher hasher;
		scratch.a.resize(std::size_t(step));
		Status result = Ok{};
		layout.for_each_run(piece, [&](std::int64_t disk, std::int64_t length) {
			for (std::int64_t done = 0; done < length && result; done += step) {
				std::int64_t const take = std::min(step, length - done);
				result = read(disk + done, take, scratch.a.data());
				if (result) hasher.update(scratch.a.data(), int(take));
			}
			// Stops the walk at the first failure (`result` says what it was).
			return result ? lt::error_code{} : lt::error_code(EIO, lt::system_category());
		});
		if (!result) return result;
		hashes[std::size_t(piece)] = hasher.final();
		return Ok{};
	});
	if (!s) return s.error_value();
	return hashes;
}

}  // namespace ezio::torrent
