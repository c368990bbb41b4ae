#include "torrent/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <libtorrent/hasher.hpp>

#include "torrent/image_reader.hpp"

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

	std::atomic<int> next{0};
	std::atomic<int> done{0};
	std::mutex mutex;
	std::condition_variable finished;
	std::string error;  // guarded by mutex; the first failure stops everyone

	auto work = [&] {
		std::vector<char> scratch;
		for (int piece = next++; piece < pieces; piece = next++) {
			lt::hasher hasher;
			auto const ec = layout.for_each_run(piece, [&](std::int64_t disk, std::int64_t length) {
				return (*reader)->hash_range(disk, length, hasher, scratch);
			});
			if (ec) {
				std::lock_guard<std::mutex> lock(mutex);
				if (error.empty()) error = fmt::format("cannot read '{}': {}", path, ec.message());
				next = pieces;
				break;
			}
			hashes[std::size_t(piece)] = hasher.final();
			if (++done == pieces) finished.notify_one();
		}
	};

	int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
	threads = std::clamp(threads, 1, std::max(1, pieces));
	std::vector<std::thread> pool;
	for (int i = 0; i < threads; ++i) pool.emplace_back(work);

	{
		std::unique_lock<std::mutex> lock(mutex);
		while (done < pieces && error.empty()) {
			finished.wait_for(lock, std::chrono::milliseconds(100));
			if (options.progress && error.empty() && done < pieces) {
				lock.unlock();
				options.progress(done, pieces);
				lock.lock();
			}
		}
	}
	for (auto& t : pool) t.join();
	if (!error.empty()) return Error{error, Errc::io};
	if (options.progress) options.progress(pieces, pieces);
	return hashes;
}

}  // namespace ezio::torrent
