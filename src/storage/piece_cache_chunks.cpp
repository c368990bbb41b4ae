// PieceCache for chunked torrents (docs/format.md, "Chunked torrents"): a
// piece is one chunk's stored bytes. It is written whole once it is
// complete and matches its hash, decoded on this worker; it is served by
// making it again from the target; it is verified on the target by the
// SHA-256 of its raw bytes. The memory a chunk is decoded or made in counts
// against the budget (PieceCache::m_scratch, kept between chunks).
#include <algorithm>
#include <cstring>

#include "storage/piece_cache.hpp"

namespace ezio::storage {

namespace {

constexpr int block_size = BlockPool::block_size;

std::int64_t micros_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

chunk::Chunk const& chunk_of(RawStorage const& storage, lt::piece_index_t piece)
{
	return storage.chunks().chunks[std::size_t(static_cast<int>(piece))];
}

}  // namespace

void PieceCache::write_out_chunk(lt::piece_index_t piece, Piece& p, Completions& out)
{
	RawStorage const& storage = *p.storage;
	bool const matches = p.hash && *p.hash == storage.chunks().piece_hashes[std::size_t(static_cast<int>(piece))];
	lt::storage_error error;
	bool written = false;
	if (p.complete() && matches) {
		auto const start = Clock::now();
		std::vector<char const*> const blocks(p.blocks.begin(), p.blocks.end());
		error = storage.write_chunk(piece, blocks, m_scratch);
		charge_scratch();
		written = !error;
		EngineStats::add(m_stats.chunks_decoded, 1);
		EngineStats::add(m_stats.chunk_micros, micros_since(start));
	}
	// A part of a chunk, or one that failed its hash, is not written: its
	// handlers succeed, and the piece fails its hash and is fetched again.
	std::vector<lt::storage_error> errors;
	if (error) errors.assign(p.blocks.size(), error);
	release_waiting(p, errors, out);

	for (std::size_t b = 0; b < p.blocks.size(); ++b) {
		if (p.state[b] != State::dirty) continue;
		char* block = p.blocks[b];
		if (written) m_pool.retain(block);
		forget_block(p, int(b));
		if (written) set_block(p, int(b), block, State::clean);
	}
}

bool PieceCache::remake(Piece& p, lt::piece_index_t piece, lt::storage_error& error)
{
	// Memory for every absent block first: a chunk is made whole or not at
	// all. Our own read cache is the first thing to give up for it.
	std::vector<std::pair<int, char*>> fresh;
	for (std::size_t b = 0; b < p.blocks.size(); ++b) {
		if (p.state[b] != State::absent) continue;
		char* block = m_pool.try_allocate();
		while (block == nullptr && evict_one(&p)) block = m_pool.try_allocate();
		if (block == nullptr) {
			for (auto const& [index, taken] : fresh) m_pool.release(taken);
			return false;
		}
		fresh.emplace_back(int(b), block);
	}

	auto const start = Clock::now();
	error = p.storage->remake_chunk(piece, m_scratch);
	EngineStats::add(m_stats.chunks_remade, 1);
	EngineStats::add(m_stats.chunk_micros, micros_since(start));
	if (error) {
		for (auto const& [index, taken] : fresh) m_pool.release(taken);
		charge_scratch();
		return true;
	}
	Bytes const& stored = m_scratch.stored;
	for (auto const& [b, block] : fresh) {
		std::size_t const from = std::size_t(b) * block_size;
		std::size_t const n = std::min<std::size_t>(block_size, stored.size() - from);
		std::memcpy(block, stored.data() + from, n);
		std::memset(block + n, 0, std::size_t(block_size) - n);  // the pad's start
		set_block(p, b, block, State::clean);
	}
	charge_scratch();  // may give the scratch back: `stored` is not used after this
	return true;
}

lt::storage_error PieceCache::hash_chunk(RawStorage const& storage, lt::piece_index_t piece, lt::sha1_hash& result)
{
	// The target is checked against the chunk's SHA-256, with no
	// compression. That is what makes a re-deploy with --verify-target
	// fetch only the chunks that changed.
	chunk::Chunk const& c = chunk_of(storage, piece);
	auto const start = Clock::now();
	bool holds = false;
	lt::storage_error const error = storage.target_holds_chunk(piece, m_scratch, holds);
	charge_scratch();
	result = holds ? storage.chunks().piece_hashes[std::size_t(static_cast<int>(piece))] : lt::sha1_hash();
	EngineStats::add(m_stats.blocks_hashed, (c.raw_length + block_size - 1) / block_size);
	EngineStats::add(m_stats.hash_micros, micros_since(start));
	return error;
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
	m_scratch = ChunkScratch{};
	m_pool.refund(m_scratch_charged);
	m_scratch_charged = 0;
}

}  // namespace ezio::storage
