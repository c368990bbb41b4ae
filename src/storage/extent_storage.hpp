// The partclone layout's storage (raw_storage.hpp): a piece is a stretch
// of the image's used extents (ExtentMap), each block written and read
// where the map puts it, with one vectored call per contiguous disk run.
//
// Thread-safety: immutable after construction.
#pragma once

#include "storage/extent_map.hpp"
#include "storage/raw_storage.hpp"

namespace ezio::storage {

class ExtentStorage final : public RawStorage {
public:
	ExtentStorage(std::uint64_t id, lt::sha1_hash const& info_hash, ExtentMap extents, std::shared_ptr<Target> target,
		IoBackend& io);

	ExtentMap const& extents() const { return m_extents; }

	int num_pieces() const override { return m_extents.num_pieces(); }
	int piece_size(lt::piece_index_t piece) const override { return m_extents.piece_size(piece); }
	int blocks_in_piece(lt::piece_index_t piece) const override;
	bool writes_partial_pieces() const override { return true; }
	void write_piece(lt::piece_index_t piece, std::span<BlockRef> blocks, bool whole,
		std::optional<lt::sha1_hash> const& hash, Scratch& scratch, EngineStats& stats) const override;
	FillRange fill_range(lt::piece_index_t piece, int block, int window) const override;
	lt::storage_error load(lt::piece_index_t piece, std::span<std::pair<int, char*> const> blocks, Scratch& scratch,
		EngineStats& stats) const override;
	lt::storage_error hash_on_target(lt::piece_index_t piece, std::span<char const* const> in_memory,
		Scratch& scratch, lt::sha1_hash& result, EngineStats& stats) const override;

	// Writes blocks of one piece, sorted by index, with one vectored write
	// per contiguous run on the disk. A failed run fails exactly the blocks
	// that have bytes in it; the others are still written.
	void write_blocks(lt::piece_index_t piece, std::span<BlockRef> blocks) const;

	// Reads whole blocks first_block, first_block + 1, ... of `piece` into
	// `blocks` (one buffer each) with one vectored read per disk run.
	lt::storage_error read_blocks(lt::piece_index_t piece, int first_block, std::span<char* const> blocks) const;

private:
	ExtentMap const m_extents;
};

}  // namespace ezio::storage
