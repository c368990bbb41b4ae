#include "storage/chunk_storage.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <boost/asio/error.hpp>
#include <libtorrent/operations.hpp>
#include <spdlog/spdlog.h>

#include "chunk/codec.hpp"
#include "common/hex.hpp"

namespace ezio::storage {

namespace {

std::int64_t micros_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ChunkStorage::ChunkStorage(std::uint64_t id, lt::sha1_hash const& info_hash,
	std::shared_ptr<chunk::Layout const> chunks, std::shared_ptr<Target> target, IoBackend& io)
	: RawStorage(id, info_hash, std::move(target), io), m_chunks(std::move(chunks)), m_unservable(m_chunks->chunks.size(), 0)
{
}

int ChunkStorage::piece_size(lt::piece_index_t piece) const
{
	// Every piece is a whole window but the last, which ends with its chunk
	// (a pad after the last chunk is not required).
	int const k = static_cast<int>(piece);
	return k + 1 < num_pieces() ? int(m_chunks->window) : int(m_chunks->chunks[std::size_t(k)].stored_length);
}

int ChunkStorage::blocks_in_piece(lt::piece_index_t piece) const
{
	return int((chunk_of(piece).stored_length + block_size - 1) / block_size);
}

void ChunkStorage::write_piece(lt::piece_index_t piece, std::span<BlockRef> blocks, bool whole,
	std::optional<lt::sha1_hash> const& hash, Scratch& scratch, EngineStats& stats) const
{
	// A part of a chunk cannot be written: it is held until the chunk is
	// whole. A whole one that failed its hash is dropped (its handlers
	// succeed, the piece fails its hash and is fetched again).
	BlockRef::Fate fate = !whole ? BlockRef::Fate::held : BlockRef::Fate::dropped;
	lt::storage_error error;
	if (whole && hash && *hash == expected_hash(piece)) {
		auto const start = std::chrono::steady_clock::now();
		error = write_chunk(piece, blocks, scratch);
		fate = error ? BlockRef::Fate::failed : BlockRef::Fate::written;
		EngineStats::add(stats.chunks_decoded, 1);
		EngineStats::add(stats.chunk_micros, micros_since(start));
	}
	for (BlockRef& ref : blocks) {
		ref.fate = fate;
		ref.error = error;
	}
}

FillRange ChunkStorage::fill_range(lt::piece_index_t piece, int, int) const
{
	// A chunk is made whole or not at all.
	return FillRange{0, blocks_in_piece(piece), true};
}

lt::storage_error ChunkStorage::load(lt::piece_index_t piece, std::span<std::pair<int, char*> const> blocks,
	Scratch& scratch, EngineStats& stats) const
{
	auto const start = std::chrono::steady_clock::now();
	lt::storage_error const error = remake_chunk(piece, scratch);
	EngineStats::add(stats.chunks_remade, 1);
	EngineStats::add(stats.chunk_micros, micros_since(start));
	if (error) return error;
	Bytes const& stored = scratch.stored;
	for (auto const& [b, block] : blocks) {
		std::size_t const from = std::size_t(b) * block_size;
		std::size_t const n = std::min<std::size_t>(block_size, stored.size() - from);
		std::memcpy(block, stored.data() + from, n);
		std::memset(block + n, 0, std::size_t(block_size) - n);  // the pad's start
	}
	return {};
}

lt::storage_error ChunkStorage::hash_on_target(lt::piece_index_t piece, std::span<char const* const>,
	Scratch& scratch, lt::sha1_hash& result, EngineStats& stats) const
{
	// The target is checked against the chunk's SHA-256, with no
	// compression.
	chunk::Chunk const& c = chunk_of(piece);
	auto const start = std::chrono::steady_clock::now();
	scratch.raw.resize(std::size_t(c.raw_length));
	lt::storage_error const error = move_chunk_data(c, scratch.raw, lt::operation_t::file_read);
	bool const holds = !error && chunk::sha256(scratch.raw) == c.sha256;
	// The target holds it now (written by something else since): making
	// it again may be tried again.
	if (holds) m_unservable[std::size_t(static_cast<int>(piece))] = 0;
	result = holds ? expected_hash(piece) : lt::sha1_hash();
	EngineStats::add(stats.blocks_hashed, (c.raw_length + block_size - 1) / block_size);
	EngineStats::add(stats.hash_micros, micros_since(start));
	return error;
}

lt::storage_error ChunkStorage::move_chunk_data(chunk::Chunk const& c, Bytes& raw, lt::operation_t op) const
{
	lt::storage_error error;
	chunk::for_each_run(c, [&](chunk::ExtentRun const& run) {
		iovec const buffer{raw.data() + run.position, std::size_t(run.length)};
		DiskOffset const at(run.disk_offset);
		lt::error_code const ec = op == lt::operation_t::file_write ? io().write(fd(), std::span(&buffer, 1), at)
		                                                             : io().read(fd(), std::span(&buffer, 1), at);
		if (ec) error = lt::storage_error(ec, op);
		return !error;
	});
	return error;
}

lt::storage_error ChunkStorage::write_chunk(lt::piece_index_t piece, std::span<BlockRef const> blocks,
	Scratch& scratch) const
{
	chunk::Chunk const& c = chunk_of(piece);
	Bytes& stored = scratch.stored;
	stored.resize(std::size_t(c.stored_length));
	for (std::size_t b = 0, position = 0; b < blocks.size() && position < stored.size(); ++b) {
		std::size_t const n = std::min<std::size_t>(block_size, stored.size() - position);
		std::memcpy(stored.data() + position, blocks[b].data, n);
		position += n;
	}
	Bytes& raw = scratch.raw;
	raw.resize(std::size_t(c.raw_length));
	if (auto const decoded = chunk::decode(c, stored, raw); !decoded) {
		spdlog::error("torrent {}: chunk {} (window at byte {}) cannot be written: {}", to_hex(info_hash()),
			static_cast<int>(piece), c.disk_offset, decoded.error());
		return lt::storage_error(chunk::chunk_mismatch_error(), c.file, lt::operation_t::file_write);
	}
	lt::storage_error const error = move_chunk_data(c, raw, lt::operation_t::file_write);
	if (!error) m_unservable[std::size_t(static_cast<int>(piece))] = 0;  // the target holds it now
	return error;
}

lt::storage_error ChunkStorage::remake_chunk(lt::piece_index_t piece, Scratch& scratch) const
{
	int const k = static_cast<int>(piece);
	if (m_unservable[std::size_t(k)] != 0)
		return lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read);
	chunk::Chunk const& c = chunk_of(piece);
	Bytes& raw = scratch.raw;
	Bytes& stored = scratch.stored;
	raw.resize(std::size_t(c.raw_length));
	if (auto const error = move_chunk_data(c, raw, lt::operation_t::file_read)) return error;
	auto const made = chunk::encode_as(c, m_chunks->zstd_level, raw, stored);
	if (!made || chunk::piece_hash(stored, piece_size(piece)) != expected_hash(piece)) {
		m_unservable[std::size_t(k)] = 1;
		if (!m_said_unservable.exchange(true))
			spdlog::warn("torrent {}: chunk {} made again from the target does not match its piece ({}; the target "
				"does not hold it, or the torrent was made with {} and this is {}); such pieces are not served, peers "
				"get them from others",
				to_hex(info_hash()), k, made ? std::string("another compressed form") : made.error(),
				m_chunks->codec_version, chunk::codec_version());
		return lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read);
	}
	return {};
}

}  // namespace ezio::storage
