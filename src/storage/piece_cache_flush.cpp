// PieceCache: how blocks leave memory for the target (write_out and the
// flushes around it), and the scratch the layouts work in.
#include <algorithm>

#include <boost/asio/error.hpp>
#include <libtorrent/operations.hpp>
#include <spdlog/spdlog.h>

#include "storage/piece_cache.hpp"

namespace ezio::storage {

void PieceCache::write_out(lt::piece_index_t piece, Piece& p, Completions& out, Held held)
{
	if (p.dirty == 0) return;
	std::vector<BlockRef> refs;
	refs.reserve(std::size_t(p.dirty));
	for (std::size_t b = 0; b < p.blocks.size(); ++b)
		if (p.state[b] == State::dirty) refs.push_back(BlockRef{int(b), p.blocks[b], BlockRef::Fate::held, {}});
	p.storage->write_piece(piece, refs, p.complete(), p.hash, m_scratch, m_stats);
	charge_scratch();

	// Every waiting handler learns the fate of its own block (a block sent
	// twice keeps both handlers; both share the newest copy's fate). Blocks
	// held or dropped succeed: the piece fails its hash if it never becomes
	// whole, and is fetched again.
	std::vector<lt::storage_error> errors(p.blocks.size());
	for (BlockRef const& ref : refs) errors[std::size_t(ref.index)] = ref.error;
	release_waiting(p, errors, out);

	// What reached the disk stays as read cache; what did not is dropped,
	// so that nobody is served data the disk does not hold; what the layout
	// holds stays dirty if `held` keeps it.
	for (BlockRef const& ref : refs) {
		int const b = ref.index;
		if (ref.fate == BlockRef::Fate::held && held == Held::keep) continue;
		char* block = p.blocks[std::size_t(b)];
		if (ref.fate != BlockRef::Fate::written) {
			forget_block(p, b);
			continue;
		}
		m_pool.retain(block);
		forget_block(p, b);
		set_block(p, b, block, State::clean);
	}
}

void PieceCache::release_waiting(Piece& p, std::vector<lt::storage_error> const& errors, Completions& out)
{
	for (auto& [block, handler] : p.waiting) {
		lt::storage_error const error = errors.empty() ? lt::storage_error() : errors[std::size_t(block)];
		out.push_back([h = std::move(handler), error] { h(error); });
	}
	p.waiting.clear();
}

void PieceCache::clear_piece(RawStorage const& storage, lt::piece_index_t piece, Completions& out)
{
	auto const it = m_pieces.find(key(storage, piece));
	if (it == m_pieces.end()) return;
	// Its data failed the hash: write out what waits (harmless, it will be
	// overwritten) and keep none of it.
	write_out(piece, it->second, out);
	drop_clean(it->second);
	m_pieces.erase(it);
	publish_rank();
}

void PieceCache::flush_storage(RawStorage const& storage, Completions& out, Held held)
{
	auto it = m_pieces.lower_bound(Key{storage.id(), 0});
	while (it != m_pieces.end() && it->first.first == storage.id()) {
		Piece& p = it->second;
		write_out(lt::piece_index_t{it->first.second}, p, out, held);
		if (p.dirty > 0) {  // held by its layout until the piece is whole
			++it;
			continue;
		}
		drop_clean(p);
		it = m_pieces.erase(it);
	}
	for (auto parked = m_parked.begin(); parked != m_parked.end();) {
		if (parked->storage->id() != storage.id()) {
			++parked;
			continue;
		}
		out.push_back([h = std::move(parked->handler)] {
			h(lt::disk_buffer_holder(), lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read));
		});
		parked = m_parked.erase(parked);
	}
	publish_rank();
}

void PieceCache::write_storage(RawStorage const& storage, Completions& out)
{
	auto it = m_pieces.lower_bound(Key{storage.id(), 0});
	while (it != m_pieces.end() && it->first.first == storage.id()) {
		Piece& p = it->second;
		write_out(lt::piece_index_t{it->first.second}, p, out, Held::keep);
		if (p.unused())
			it = m_pieces.erase(it);
		else
			++it;
	}
	evict(false);
}

void PieceCache::flush_partial(Clock::time_point cutoff, Completions& out)
{
	for (auto& [key, p] : m_pieces) {
		if (p.waiting.empty() || p.first_dirty > cutoff) continue;
		// What a layout cannot write yet stays until its piece is whole; only
		// its handlers are released.
		write_out(lt::piece_index_t{key.second}, p, out, Held::keep);
	}
	evict(false);
}

void PieceCache::relieve_pressure(Completions& out)
{
	evict(true);
	flush_partial(Clock::now(), out);
	evict(true);
	release_scratch();
	// Held blocks (parts of pieces a layout writes only whole) are dropped
	// only as a last resort: when they alone hold more than the low
	// watermark, peers would never be let to send the rest. Such a piece
	// fails its hash, and libtorrent bans a peer that sent all of it:
	// dropping them at every backpressure event banned the only seeder of a
	// 1->1 deploy. Everything else drains by itself.
	if (m_pool.waiting_for_peers() <= m_pool.low_watermark()) return;
	for (auto& [key, p] : m_pieces) {
		if (p.dirty == 0) continue;  // after flush_partial, only held blocks are dirty
		spdlog::warn("memory budget full: dropping {} blocks of piece {} held in memory; it is fetched again",
			p.dirty, key.second);
		write_out(lt::piece_index_t{key.second}, p, out, Held::drop);
	}
	evict(true);
}

void PieceCache::flush_all(Completions& out)
{
	for (auto& [key, p] : m_pieces) {
		write_out(lt::piece_index_t{key.second}, p, out);
		drop_clean(p);
	}
	m_pieces.clear();
	publish_rank();
	release_scratch();
	for (ParkedRead& parked : m_parked) {
		out.push_back([h = std::move(parked.handler)] {
			h(lt::disk_buffer_holder(), lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file_read));
		});
	}
	m_parked.clear();
}

std::optional<PieceCache::Clock::time_point> PieceCache::oldest_write() const
{
	std::optional<Clock::time_point> oldest;
	for (auto const& [key, p] : m_pieces)
		if (!p.waiting.empty() && (!oldest || p.first_dirty < *oldest)) oldest = p.first_dirty;
	return oldest;
}

void PieceCache::charge_scratch()
{
	// In whole blocks, so that what is charged in steps is refunded exactly.
	std::int64_t const block = BlockPool::block_size;
	std::int64_t const bytes = (m_scratch.bytes() + block - 1) / block * block;
	if (bytes > m_scratch_charged) {
		m_pool.charge(bytes - m_scratch_charged);
		m_scratch_charged = bytes;
	}
	// Kept only while memory is plentiful: 16 workers' scratch is 130 MiB,
	// which filled half of a 256 MiB budget and parked the seeder's reads.
	if (m_pool.bytes_in_use() > m_pool.low_watermark()) release_scratch();
}

void PieceCache::release_scratch()
{
	m_scratch = Scratch{};
	m_pool.refund(m_scratch_charged);
	m_scratch_charged = 0;
}

}  // namespace ezio::storage
