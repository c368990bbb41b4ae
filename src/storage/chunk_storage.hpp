// The chunked layout's storage (raw_storage.hpp; docs/format.md, "Chunked
// torrents"). Piece k is chunk k's stored bytes, then zeros: its pad,
// which peers never send. A piece is written only whole and only if it
// matches its hash, decoded, with one write per disk run of its window;
// it is served by making the stored bytes again from the target; and it
// is verified on the target by the SHA-256 of its raw bytes (so a
// re-deploy with --verify-target fetches only the chunks that changed).
//
// Thread-safety: the layout is immutable; the per-chunk "unservable" mark
// is touched only by the worker that owns the chunk's piece.
#pragma once

#include <atomic>
#include <vector>

#include "chunk/layout.hpp"
#include "storage/raw_storage.hpp"

namespace ezio::storage {

class ChunkStorage final : public RawStorage {
public:
	// REQUIRES: chunk::validate(*chunks), and chunks->piece_hashes has one
	// hash per chunk.
	ChunkStorage(std::uint64_t id, lt::sha1_hash const& info_hash, std::shared_ptr<chunk::Layout const> chunks,
		std::shared_ptr<Target> target, IoBackend& io);

	int num_pieces() const override { return int(m_chunks->chunks.size()); }
	int piece_size(lt::piece_index_t piece) const override;
	int blocks_in_piece(lt::piece_index_t piece) const override;
	bool writes_partial_pieces() const override { return false; }
	void write_piece(lt::piece_index_t piece, std::span<BlockRef> blocks, bool whole,
		std::optional<lt::sha1_hash> const& hash, Scratch& scratch, EngineStats& stats) const override;
	FillRange fill_range(lt::piece_index_t piece, int block, int window) const override;
	lt::storage_error load(lt::piece_index_t piece, std::span<std::pair<int, char*> const> blocks, Scratch& scratch,
		EngineStats& stats) const override;
	lt::storage_error hash_on_target(lt::piece_index_t piece, std::span<char const* const> in_memory,
		Scratch& scratch, lt::sha1_hash& result, EngineStats& stats) const override;

private:
	chunk::Chunk const& chunk_of(lt::piece_index_t piece) const
	{
		return m_chunks->chunks[std::size_t(static_cast<int>(piece))];
	}
	lt::sha1_hash const& expected_hash(lt::piece_index_t piece) const
	{
		return m_chunks->piece_hashes[std::size_t(static_cast<int>(piece))];
	}
	// Decodes the stored bytes held by `blocks` (the piece's blocks in
	// order) and writes the raw bytes. Nothing is written unless the chunk
	// decodes to exactly its length and SHA-256.
	lt::storage_error write_chunk(lt::piece_index_t piece, std::span<BlockRef const> blocks, Scratch& scratch) const;
	// The chunk's stored bytes, made again from the target, into
	// `scratch.stored`. Fails with operation_aborted, and logs why once,
	// when they do not match the piece's SHA-1 (another codec version, or
	// the target changed): such a piece is not served.
	lt::storage_error remake_chunk(lt::piece_index_t piece, Scratch& scratch) const;
	// One read or write (op: file_read or file_write) per run of the chunk's
	// extents, between the target and `raw` (raw_length bytes).
	lt::storage_error move_chunk_data(chunk::Chunk const& c, Bytes& raw, lt::operation_t op) const;

	std::shared_ptr<chunk::Layout const> const m_chunks;
	mutable std::atomic<bool> m_said_unservable{false};
	// Per chunk: made again and found not to match, so not tried again
	// until it is written or found on the target (libtorrent's smart ban
	// reads every block of a failed piece; each read made the whole chunk
	// again: 6 GB read for a 350 MiB torrent). Each element is touched only
	// by the worker that owns its piece.
	mutable std::vector<std::uint8_t> m_unservable;
};

}  // namespace ezio::storage
