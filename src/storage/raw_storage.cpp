#include "storage/raw_storage.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/error.hpp>
#include <libtorrent/disk_interface.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/operations.hpp>
#include <spdlog/spdlog.h>

#include "chunk/codec.hpp"
#include "common/hex.hpp"

namespace ezio::storage {

namespace {

constexpr int block_size = lt::default_block_size;

// A vectored write being assembled: iovecs that land back to back on disk.
struct WriteRun {
	DiskOffset start;
	std::int64_t length = 0;
	lt::file_index_t file{0};
	std::vector<iovec> buffers;
	std::size_t first_block = 0;  // positions in the caller's span
	std::size_t last_block = 0;
};

}  // namespace

RawStorage::RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, ExtentMap extents,
	std::shared_ptr<Target> target, IoBackend& io)
	: m_id(id), m_info_hash(info_hash), m_extents(std::move(extents)), m_target(std::move(target)), m_io(io)
{}

RawStorage::RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, std::shared_ptr<chunk::Layout const> chunks,
	std::shared_ptr<Target> target, IoBackend& io)
	: m_id(id)
	, m_info_hash(info_hash)
	, m_chunks(std::move(chunks))
	, m_unservable(m_chunks->chunks.size(), 0)
	, m_target(std::move(target))
	, m_io(io)
{}

int RawStorage::num_pieces() const
{
	return m_chunks ? int(m_chunks->chunks.size()) : m_extents.num_pieces();
}

int RawStorage::piece_size(lt::piece_index_t piece) const
{
	if (!m_chunks) return m_extents.piece_size(piece);
	// Every piece is a whole window but the last, which ends with its chunk
	// (a pad after the last chunk is not required).
	int const k = static_cast<int>(piece);
	return k + 1 < num_pieces() ? int(m_chunks->window) : int(m_chunks->chunks[std::size_t(k)].stored_length);
}

int RawStorage::blocks_in_piece(lt::piece_index_t piece) const
{
	int const bytes = m_chunks ? int(m_chunks->chunks[std::size_t(static_cast<int>(piece))].stored_length)
	                           : piece_size(piece);
	return (bytes + block_size - 1) / block_size;
}

int RawStorage::block_length(lt::piece_index_t piece, int block) const
{
	return std::min(block_size, piece_size(piece) - block * block_size);
}

int RawStorage::pad_after_blocks(lt::piece_index_t piece) const
{
	return std::max(0, piece_size(piece) - blocks_in_piece(piece) * block_size);
}

lt::storage_error RawStorage::move_chunk_data(chunk::Chunk const& c, Bytes& raw, lt::operation_t op) const
{
	lt::storage_error error;
	chunk::for_each_run(c, [&](chunk::ExtentRun const& run) {
		iovec const buffer{raw.data() + run.position, std::size_t(run.length)};
		DiskOffset const at(run.disk_offset);
		lt::error_code const ec = op == lt::operation_t::file_write
			? m_io.write(m_target->fd(), std::span(&buffer, 1), at)
			: m_io.read(m_target->fd(), std::span(&buffer, 1), at);
		if (ec) error = lt::storage_error(ec, op);
		return !error;
	});
	return error;
}

lt::storage_error RawStorage::read_chunk_data(chunk::Chunk const& c, Bytes& raw) const
{
	raw.resize(std::size_t(c.raw_length));
	return move_chunk_data(c, raw, lt::operation_t::file_read);
}

lt::storage_error RawStorage::write_chunk(lt::piece_index_t piece, std::span<char const* const> blocks,
	ChunkScratch& scratch) const
{
	chunk::Chunk const& c = m_chunks->chunks[std::size_t(static_cast<int>(piece))];
	Bytes& stored = scratch.stored;
	stored.resize(std::size_t(c.stored_length));
	for (std::size_t b = 0, position = 0; b < blocks.size() && position < stored.size(); ++b) {
		std::size_t const n = std::min<std::size_t>(block_size, stored.size() - position);
		std::memcpy(stored.data() + position, blocks[b], n);
		position += n;
	}
	Bytes& raw = scratch.raw;
	raw.resize(std::size_t(c.raw_length));
	if (auto const decoded = chunk::decode(c, stored, raw); !decoded) {
		spdlog::error("torrent {}: chunk {} (window at byte {}) cannot be written: {}", to_hex(m_info_hash),
			static_cast<int>(piece), c.disk_offset, decoded.error());
		return lt::storage_error(chunk::chunk_mismatch_error(), c.file, lt::operation_t::file_write);
	}
	lt::storage_error const error = move_chunk_data(c, raw, lt::operation_t::file_write);
	if (!error) m_unservable[std::size_t(static_cast<int>(piece))] = 0;  // the target holds it now
	return error;
}

lt::storage_error RawStorage::remake_chunk(lt::piece_index_t piece, ChunkScratch& scratch) const
{
	int const k = static_cast<int>(piece);
	if (m_unservable[std::size_t(k)] != 0)
		return lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read);
	chunk::Chunk const& c = m_chunks->chunks[std::size_t(k)];
	Bytes& raw = scratch.raw;
	Bytes& stored = scratch.stored;
	if (auto const error = read_chunk_data(c, raw)) return error;
	auto const made = chunk::encode_as(c, m_chunks->zstd_level, raw, stored);
	if (!made || chunk::piece_hash(stored, piece_size(piece)) != m_chunks->piece_hashes[std::size_t(k)]) {
		m_unservable[std::size_t(k)] = 1;
		if (!m_said_unservable.exchange(true))
			spdlog::warn("torrent {}: chunk {} made again from the target does not match its piece ({}; the target "
				"does not hold it, or the torrent was made with {} and this is {}); such pieces are not served, peers "
				"get them from others",
				to_hex(m_info_hash), k, made ? std::string("another compressed form") : made.error(),
				m_chunks->codec_version, chunk::codec_version());
		return lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read);
	}
	return {};
}

lt::storage_error RawStorage::target_holds_chunk(lt::piece_index_t piece, ChunkScratch& scratch, bool& holds) const
{
	chunk::Chunk const& c = m_chunks->chunks[std::size_t(static_cast<int>(piece))];
	if (auto const error = read_chunk_data(c, scratch.raw)) return error;
	holds = chunk::sha256(scratch.raw) == c.sha256;
	// The target holds it now (written by something else since): making
	// it again may be tried again.
	if (holds) m_unservable[std::size_t(static_cast<int>(piece))] = 0;
	return {};
}

void RawStorage::write_blocks(lt::piece_index_t piece, std::span<BlockRef> blocks) const
{
	WriteRun run;
	auto submit = [&] {
		if (run.buffers.empty()) return;
		lt::error_code const ec = m_io.write(m_target->fd(), run.buffers, run.start);
		if (ec) {
			for (std::size_t i = run.first_block; i <= run.last_block; ++i)
				blocks[i].error = lt::storage_error(ec, run.file, lt::operation_t::file_write);
		}
		run.buffers.clear();
	};

	std::vector<DiskRun> disk_runs;
	for (std::size_t i = 0; i < blocks.size(); ++i) {
		int const length = block_length(piece, blocks[i].index);
		disk_runs.clear();
		m_extents.map(piece, blocks[i].index * block_size, length, disk_runs);
		char const* data = blocks[i].data;
		for (DiskRun const& d : disk_runs) {
			if (run.buffers.empty() || run.start + run.length != d.offset) {
				submit();
				run.start = d.offset;
				run.length = 0;
				run.file = d.file;
				run.first_block = i;
			}
			run.buffers.push_back(iovec{const_cast<char*>(data), std::size_t(d.length)});
			run.length += d.length;
			run.last_block = i;
			data += d.length;
		}
	}
	submit();
}

lt::storage_error RawStorage::read(lt::piece_index_t piece, int start, int length, char* out) const
{
	std::vector<DiskRun> disk_runs;
	m_extents.map(piece, start, length, disk_runs);
	for (DiskRun const& d : disk_runs) {
		iovec const buffer{out, std::size_t(d.length)};
		lt::error_code const ec = m_io.read(m_target->fd(), std::span(&buffer, 1), d.offset);
		if (ec) return lt::storage_error(ec, d.file, lt::operation_t::file_read);
		out += d.length;
	}
	return {};
}

lt::storage_error RawStorage::read_blocks(lt::piece_index_t piece, int first_block,
	std::span<char* const> blocks) const
{
	int const start = first_block * block_size;
	int length = 0;
	for (std::size_t i = 0; i < blocks.size(); ++i) length += block_length(piece, first_block + int(i));

	std::vector<DiskRun> disk_runs;
	m_extents.map(piece, start, length, disk_runs);
	std::vector<iovec> buffers;
	int position = 0;  // within the range read
	for (DiskRun const& d : disk_runs) {
		// Scatter this run over the blocks it covers.
		buffers.clear();
		for (std::int64_t left = d.length; left > 0;) {
			int const into = position % block_size;
			int const take = int(std::min<std::int64_t>(left, block_size - into));
			buffers.push_back(iovec{blocks[std::size_t(position / block_size)] + into, std::size_t(take)});
			position += take;
			left -= take;
		}
		if (lt::error_code const ec = m_io.read(m_target->fd(), buffers, d.offset))
			return lt::storage_error(ec, d.file, lt::operation_t::file_read);
	}
	return {};
}

lt::storage_error RawStorage::sync() const
{
	lt::error_code const ec = m_io.sync(m_target->fd());
	if (ec) return lt::storage_error(ec, lt::file_index_t{0}, lt::operation_t::file);
	return {};
}

}  // namespace ezio::storage
