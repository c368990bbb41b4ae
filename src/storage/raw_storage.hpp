// One torrent's storage in raw mode: its extent map, its target and the I/O
// backend, and the operations that move a piece's bytes to and from the
// right places on the target.
//
// Thread-safety: immutable after construction; every method may be called
// from any thread (the target's fd is used only with positional I/O).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <libtorrent/error_code.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/units.hpp>

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

class RawStorage {
public:
	// `id` is unique for the life of the engine (storage indices are reused).
	RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, ExtentMap extents,
		std::shared_ptr<Target> target, IoBackend& io);

	std::uint64_t id() const { return m_id; }
	lt::sha1_hash const& info_hash() const { return m_info_hash; }
	ExtentMap const& extents() const { return m_extents; }
	Target const& target() const { return *m_target; }

	int blocks_in_piece(lt::piece_index_t piece) const;
	int block_length(lt::piece_index_t piece, int block) const;

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
	std::uint64_t const m_id;
	lt::sha1_hash const m_info_hash;
	ExtentMap const m_extents;
	std::shared_ptr<Target> const m_target;
	IoBackend& m_io;
};

}  // namespace ezio::storage
