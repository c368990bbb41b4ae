#include "storage/raw_storage.hpp"

#include <algorithm>

#include <libtorrent/disk_interface.hpp>
#include <libtorrent/operations.hpp>

namespace ezio::storage {

namespace {

constexpr int block_size = lt::default_block_size;

// A vectored write being assembled: iovecs that land back to back on disk.
struct WriteRun {
	DiskOffset start;
	std::int64_t length = 0;
	lt::file_index_t file{0};
	std::vector<iovec> buffers;
	std::size_t first_block = 0;  // positions in the caller's span
	std::size_t last_block = 0;
};

}  // namespace

RawStorage::RawStorage(std::uint64_t id, lt::sha1_hash const& info_hash, ExtentMap extents,
	std::shared_ptr<Target> target, IoBackend& io)
	: m_id(id), m_info_hash(info_hash), m_extents(std::move(extents)), m_target(std::move(target)), m_io(io)
{}

int RawStorage::blocks_in_piece(lt::piece_index_t piece) const
{
	return (m_extents.piece_size(piece) + block_size - 1) / block_size;
}

int RawStorage::block_length(lt::piece_index_t piece, int block) const
{
	return std::min(block_size, m_extents.piece_size(piece) - block * block_size);
}

void RawStorage::write_blocks(lt::piece_index_t piece, std::span<BlockRef> blocks) const
{
	WriteRun run;
	auto submit = [&] {
		if (run.buffers.empty()) return;
		lt::error_code const ec = m_io.write(m_target->fd(), run.buffers, run.start);
		if (ec) {
			for (std::size_t i = run.first_block; i <= run.last_block; ++i)
				blocks[i].error = lt::storage_error(ec, run.file, lt::operation_t::file_write);
		}
		run.buffers.clear();
	};

	std::vector<DiskRun> disk_runs;
	for (std::size_t i = 0; i < blocks.size(); ++i) {
		int const length = block_length(piece, blocks[i].index);
		disk_runs.clear();
		m_extents.map(piece, blocks[i].index * block_size, length, disk_runs);
		char const* data = blocks[i].data;
		for (DiskRun const& d : disk_runs) {
			if (run.buffers.empty() || run.start + run.length != d.offset) {
				submit();
				run.start = d.offset;
				run.length = 0;
				run.file = d.file;
				run.first_block = i;
			}
			run.buffers.push_back(iovec{const_cast<char*>(data), std::size_t(d.length)});
			run.length += d.length;
			run.last_block = i;
			data += d.length;
		}
	}
	submit();
}

lt::storage_error RawStorage::read(lt::piece_index_t piece, int start, int length, char* out) const
{
	std::vector<DiskRun> disk_runs;
	m_extents.map(piece, start, length, disk_runs);
	for (DiskRun const& d : disk_runs) {
		iovec const buffer{out, std::size_t(d.length)};
		lt::error_code const ec = m_io.read(m_target->fd(), std::span(&buffer, 1), d.offset);
		if (ec) return lt::storage_error(ec, d.file, lt::operation_t::file_read);
		out += d.length;
	}
	return {};
}

lt::storage_error RawStorage::read_blocks(lt::piece_index_t piece, int first_block,
	std::span<char* const> blocks) const
{
	int const start = first_block * block_size;
	int length = 0;
	for (std::size_t i = 0; i < blocks.size(); ++i) length += block_length(piece, first_block + int(i));

	std::vector<DiskRun> disk_runs;
	m_extents.map(piece, start, length, disk_runs);
	std::vector<iovec> buffers;
	int position = 0;  // within the range read
	for (DiskRun const& d : disk_runs) {
		// Scatter this run over the blocks it covers.
		buffers.clear();
		for (std::int64_t left = d.length; left > 0;) {
			int const into = position % block_size;
			int const take = int(std::min<std::int64_t>(left, block_size - into));
			buffers.push_back(iovec{blocks[std::size_t(position / block_size)] + into, std::size_t(take)});
			position += take;
			left -= take;
		}
		if (lt::error_code const ec = m_io.read(m_target->fd(), buffers, d.offset))
			return lt::storage_error(ec, d.file, lt::operation_t::file_read);
	}
	return {};
}

lt::storage_error RawStorage::sync() const
{
	lt::error_code const ec = m_io.sync(m_target->fd());
	if (ec) return lt::storage_error(ec, lt::file_index_t{0}, lt::operation_t::file);
	return {};
}

}  // namespace ezio::storage
