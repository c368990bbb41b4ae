#include "storage/raw_storage.hpp"

#include <algorithm>

#include <libtorrent/operations.hpp>

namespace ezio::storage {

int RawStorage::block_length(lt::piece_index_t piece, int block) const
{
	return std::min(block_size, piece_size(piece) - block * block_size);
}

int RawStorage::pad_after_blocks(lt::piece_index_t piece) const
{
	return std::max(0, piece_size(piece) - blocks_in_piece(piece) * block_size);
}

lt::storage_error RawStorage::sync() const
{
	lt::error_code const ec = m_io.sync(m_target->fd());
	if (ec) return lt::storage_error(ec, lt::file_index_t{0}, lt::operation_t::file);
	return {};
}

}  // namespace ezio::storage
