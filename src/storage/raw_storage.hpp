// One torrent's storage in raw mode: its extent map, its target and the I/O
// backend, and the operations that move a piece's bytes to and from the
// right places on the target.
//
// A chunked torrent (docs/format.md) has a chunk layout instead of an
// extent map: piece k is chunk k's stored bytes, then zeros (its pad, which
// peers never send). Its pieces are written whole, decoded, with one write
// per disk run of the window (write_chunk), and served by re-making the
// stored bytes from the target (remake_chunk).
//
// Thread-safety: immutable after construction; every method may be called
// from any thread (the target's fd is used only with positional I/O).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <libtorrent/error_code.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/units.hpp>

#include "chunk/layout.hpp"
#include "common/bytes.hpp"
#include "storage/extent_map.hpp"
#include "storage/io_backend.hpp"
#include "storage/target.hpp"

namespace ezio::storage {

// A block of a piece held in memory, on its way to the disk.
struct BlockRef {
	int index = 0;               // block number within the piece
	char const* data = nullptr;  // block_length(piece, index) bytes
	lt::storage_error error;     // set by RawStorage::write_blocks
};

// Buffers a worker decodes and makes chunks in (their stored and raw
// bytes), kept between chunks: fresh 4 MiB buffers cost a page fault and a
// page clear per 4 KiB, a tenth of a swarm's CPU. Their owner counts them
// against the budget, and gives them back when memory runs short.
struct ChunkScratch {
	Bytes stored;
	Bytes raw;
	std::int64_t bytes() const { return std::int64_t(stored.capacity() + raw.capacity()); }
};

class RawStorage {
public:
	// `id` is unique for the life of the engine (storage indices are reused).
	RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, ExtentMap extents,
		std::shared_ptr<Target> target, IoBackend& io);
	// A chunked torrent's storage. REQUIRES: chunk::validate(*chunks), and
	// chunks->piece_hashes has one hash per chunk.
	RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, std::shared_ptr<chunk::Layout const> chunks,
		std::shared_ptr<Target> target, IoBackend& io);

	std::uint64_t id() const { return m_id; }
	lt::sha1_hash const& info_hash() const { return m_info_hash; }
	ExtentMap const& extents() const { return m_extents; }
	Target const& target() const { return *m_target; }

	int num_pieces() const;
	int piece_size(lt::piece_index_t piece) const;
	// The blocks peers send of a piece: all of them, but never a chunked
	// piece's pad.
	int blocks_in_piece(lt::piece_index_t piece) const;
	int block_length(lt::piece_index_t piece, int block) const;
	// The zeros that follow the blocks in the piece's hash (a chunk's pad).
	int pad_after_blocks(lt::piece_index_t piece) const;

	bool chunked() const { return m_chunks != nullptr; }
	// REQUIRES: chunked().
	chunk::Layout const& chunks() const { return *m_chunks; }

	// Chunked only. Decodes the stored bytes held by `blocks` (the piece's
	// blocks in order) and writes the raw bytes with one write per run of
	// touching extents. Nothing is written unless the chunk decodes to
	// exactly its length and SHA-256.
	lt::storage_error write_chunk(lt::piece_index_t piece, std::span<char const* const> blocks,
		ChunkScratch& scratch) const;
	// Chunked only. The chunk's stored bytes, made again from the target,
	// into `scratch.stored`. Fails with operation_aborted, and logs why once, when
	// they do not match the piece's SHA-1 (another codec version, or the
	// target changed): such a piece is not served.
	lt::storage_error remake_chunk(lt::piece_index_t piece, ChunkScratch& scratch) const;
	// Chunked only. Whether the target holds the chunk's data (the SHA-256
	// of its extents on the target). If it does, a chunk found unservable
	// before may be made again.
	lt::storage_error target_holds_chunk(lt::piece_index_t piece, ChunkScratch& scratch, bool& holds) const;

	// Writes blocks of one piece, sorted by index, with one vectored write per
	// contiguous run on the disk. A failed run marks exactly the blocks that
	// have bytes in it; the others are still written.
	void write_blocks(lt::piece_index_t piece, std::span<BlockRef> blocks) const;

	// Reads bytes [start, start + length) of `piece` into `out`.
	lt::storage_error read(lt::piece_index_t piece, int start, int length, char* out) const;

	// Reads whole blocks first_block, first_block + 1, ... of `piece` into
	// `blocks` (one buffer each) with one vectored read per disk run.
	lt::storage_error read_blocks(lt::piece_index_t piece, int first_block, std::span<char* const> blocks) const;

	// fdatasync of the target: everything written before is durable after.
	lt::storage_error sync() const;

private:
	// Reads the chunk's extents from the target into `raw` (raw_length bytes).
	lt::storage_error read_chunk_data(chunk::Chunk const& c, Bytes& raw) const;
	// One read or write (op: file_read or file_write) per run of the chunk's
	// extents, between the target and `raw` (raw_length bytes).
	lt::storage_error move_chunk_data(chunk::Chunk const& c, Bytes& raw, lt::operation_t op) const;

	std::uint64_t const m_id;
	lt::sha1_hash const m_info_hash;
	ExtentMap const m_extents;
	std::shared_ptr<chunk::Layout const> const m_chunks;  // chunked torrents only
	mutable std::atomic<bool> m_said_unservable{false};
	// Per chunk: made again and found not to match, so not tried again
	// until it is written or found on the target (libtorrent's smart ban
	// reads every block of a failed piece; each read made the whole chunk
	// again: 6 GB read for a 350 MiB torrent). Each element is touched only
	// by the worker that owns its piece.
	mutable std::vector<std::uint8_t> m_unservable;
	std::shared_ptr<Target> const m_target;
	IoBackend& m_io;
};

}  // namespace ezio::storage
