// One torrent's storage in raw mode: how its pieces lie on the target, and
// the operations that move a piece's bytes between memory and the target.
//
// RawStorage is the interface the piece cache calls; each layout is a type
// of its own behind it (the way libtorrent keeps one concept per class):
//
// - ExtentStorage (extent_storage.hpp): the partclone layout. A piece is a
//   stretch of the image's used extents; any block may be written or read
//   on its own.
// - ChunkStorage (chunk_storage.hpp): the chunked layout (docs/format.md).
//   Piece k is chunk k's stored bytes, then zeros (its pad, which peers
//   never send); it is written only whole, decoded, and served by making
//   its stored bytes again from the target.
//
// A new layout is a new file implementing these operations; the piece
// cache has no branch per layout, only the one property a layout declares
// (writes_partial_pieces).
//
// Thread-safety: every method may be called from any thread (the target's
// fd is used only with positional I/O). A layout's own mutable state is
// per piece, and every job of a piece runs on the worker that owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include <libtorrent/error_code.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/units.hpp>

#include "common/bytes.hpp"
#include "storage/engine_stats.hpp"
#include "storage/io_backend.hpp"
#include "storage/target.hpp"

namespace ezio::storage {

// A dirty block of a piece, on its way to the disk, and what became of it.
struct BlockRef {
	enum class Fate : std::uint8_t {
		written,  // on the target: it may stay as read cache
		failed,   // the write failed (`error`)
		held,     // not written: the piece is not whole yet (the layout writes only whole pieces)
		dropped,  // not written, and never will be: the piece failed its hash
	};
	int index = 0;               // block number within the piece
	char const* data = nullptr;  // block_length(piece, index) bytes
	Fate fate = Fate::held;
	lt::storage_error error;     // with Fate::failed
};

// Memory a worker decodes, makes or reads into beside its blocks, kept
// between pieces: fresh 4 MiB buffers cost a page fault and a page clear
// per 4 KiB, a tenth of a swarm's CPU. Its owner counts it against the
// budget, and gives it back when memory runs short.
struct Scratch {
	Bytes stored;
	Bytes raw;
	std::int64_t bytes() const { return std::int64_t(stored.capacity() + raw.capacity()); }
};

// The blocks a read of `block` fills: [first, end) of the piece. With
// `whole`, every absent block in it is filled at once or none is (a chunk
// is made whole); otherwise `block` first, then the others as far as
// memory allows.
struct FillRange {
	int first = 0;
	int end = 0;
	bool whole = false;
};

class RawStorage {
public:
	static constexpr int block_size = 16 * 1024;

	virtual ~RawStorage() = default;
	RawStorage(RawStorage const&) = delete;
	RawStorage& operator=(RawStorage const&) = delete;

	std::uint64_t id() const { return m_id; }
	lt::sha1_hash const& info_hash() const { return m_info_hash; }
	Target const& target() const { return *m_target; }

	// The pieces' geometry.
	virtual int num_pieces() const = 0;
	virtual int piece_size(lt::piece_index_t piece) const = 0;
	// The blocks peers send of a piece (never a chunk's pad).
	virtual int blocks_in_piece(lt::piece_index_t piece) const = 0;
	int block_length(lt::piece_index_t piece, int block) const;
	// The zeros that follow the blocks in the piece's hash (a chunk's pad).
	int pad_after_blocks(lt::piece_index_t piece) const;

	// Whether blocks of a piece that is not whole can be written. If not,
	// they are held in memory until the piece is (and count as memory
	// waiting for peers).
	virtual bool writes_partial_pieces() const = 0;

	// Writes the dirty blocks `blocks` of `piece` (sorted by index) and sets
	// each one's fate. `whole`: every block of the piece is in memory, and
	// `hash` is their SHA-1.
	virtual void write_piece(lt::piece_index_t piece, std::span<BlockRef> blocks, bool whole,
		std::optional<lt::sha1_hash> const& hash, Scratch& scratch, EngineStats& stats) const = 0;

	// Which blocks a read of `block` fills; `window` is the read-ahead the
	// cache can afford, in blocks.
	virtual FillRange fill_range(lt::piece_index_t piece, int block, int window) const = 0;
	// Fills `blocks` ((index, buffer), sorted by index) from the target.
	// An error fails the read (operation_aborted: a piece the layout does
	// not serve; it has said why once).
	virtual lt::storage_error load(lt::piece_index_t piece, std::span<std::pair<int, char*> const> blocks,
		Scratch& scratch, EngineStats& stats) const = 0;

	// The piece's SHA-1 as the target holds it, when not every block is in
	// memory (`in_memory`: one pointer per block, null where absent); zeros
	// if the target does not hold it.
	virtual lt::storage_error hash_on_target(lt::piece_index_t piece, std::span<char const* const> in_memory,
		Scratch& scratch, lt::sha1_hash& result, EngineStats& stats) const = 0;

	// fdatasync of the target: everything written before is durable after.
	lt::storage_error sync() const;

protected:
	// `id` is unique for the life of the engine (storage indices are reused).
	RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, std::shared_ptr<Target> target, IoBackend& io)
		: m_id(id), m_info_hash(info_hash), m_target(std::move(target)), m_io(io)
	{
	}

	int fd() const { return m_target->fd(); }
	IoBackend& io() const { return m_io; }

private:
	std::uint64_t const m_id;
	lt::sha1_hash const m_info_hash;
	std::shared_ptr<Target> const m_target;
	IoBackend& m_io;
};

}  // namespace ezio::storage
