// The blocks one worker thread holds in memory, piece by piece.
//
// Blocks written by peers stay here until their piece is complete; then the
// piece is hashed from memory and written with one vectored write per disk
// run, and the pieces' write handlers complete. libtorrent asks for a
// piece's hash as soon as every block has been handed to async_write, and may
// read a block back at any time, so both must be served from memory for
// blocks not yet on disk. Pieces that stay incomplete are written out when
// the memory budget runs high or after a timeout, so no handler waits
// forever.
//
// Thread-safety: none. Each worker owns one PieceCache, and every job of a
// piece goes to the same worker, so a piece's state is never shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <libtorrent/disk_buffer_holder.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/peer_request.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/units.hpp>

#include "storage/block_pool.hpp"
#include "storage/raw_storage.hpp"

namespace ezio::storage {

// Work to run on libtorrent's network thread once a job is done.
using Completion = std::function<void()>;
using Completions = std::vector<Completion>;

using WriteHandler = std::function<void(lt::storage_error const&)>;
using ReadHandler = std::function<void(lt::disk_buffer_holder, lt::storage_error const&)>;
using HashHandler = std::function<void(lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const&)>;

class PieceCache {
public:
	using Clock = std::chrono::steady_clock;

	// Read results are handed to libtorrent as disk_buffer_holders that give
	// their block back through `allocator`.
	PieceCache(BlockPool& pool, lt::buffer_allocator_interface& allocator);
	~PieceCache();
	PieceCache(PieceCache const&) = delete;
	PieceCache& operator=(PieceCache const&) = delete;

	// Stores `block` (a pool block, now owned by the cache) as the data of
	// request `r`. `handler` completes once the block is on disk.
	void write(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, char* block,
		WriteHandler handler, Completions& out);

	// Reads `r`, from memory where the cache holds the blocks.
	void read(std::shared_ptr<RawStorage> const& storage, lt::peer_request const& r, ReadHandler handler,
		Completions& out);

	// SHA-1 of a whole piece, from memory where possible; then writes out what
	// the piece still holds in memory.
	void hash(std::shared_ptr<RawStorage> const& storage, lt::piece_index_t piece, HashHandler handler,
		Completions& out);

	// Writes out and forgets one piece (after a failed hash or write).
	void clear_piece(RawStorage const& storage, lt::piece_index_t piece, Completions& out);

	// Writes out and forgets every piece of one torrent.
	void flush_storage(RawStorage const& storage, Completions& out);

	// Writes out the incomplete pieces first written to before `cutoff`.
	void flush_partial(Clock::time_point cutoff, Completions& out);

	// Writes out everything.
	void flush_all(Completions& out);

	// The oldest first write among pieces holding blocks, if any.
	std::optional<Clock::time_point> oldest_write() const;

	std::size_t num_pieces() const { return m_pieces.size(); }

private:
	struct Piece {
		std::shared_ptr<RawStorage> storage;
		std::vector<char*> blocks;  // by block index; nullptr while not in memory
		int blocks_in_memory = 0;
		// Writes to complete when their block is on disk: (block, handler).
		std::vector<std::pair<int, WriteHandler>> waiting;
		Clock::time_point first_write;
		// SHA-1 of the complete piece, taken from memory just before it was
		// written out; kept for the async_hash that follows.
		std::optional<lt::sha1_hash> hash;
	};
	using Key = std::pair<std::uint64_t, int>;  // (storage id, piece)

	static Key key(RawStorage const& storage, lt::piece_index_t piece)
	{
		return {storage.id(), static_cast<int>(piece)};
	}

	// Writes every block the piece holds, completes its handlers, and frees
	// the blocks. The piece's hash, if any, is kept.
	void write_out(lt::piece_index_t piece, Piece& p, Completions& out);

	lt::sha1_hash hash_from_memory(lt::piece_index_t piece, Piece const& p) const;

	BlockPool& m_pool;
	lt::buffer_allocator_interface& m_allocator;
	std::map<Key, Piece> m_pieces;
};

}  // namespace ezio::storage
