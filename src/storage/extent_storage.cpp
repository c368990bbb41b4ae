#include "storage/extent_storage.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include <libtorrent/hasher.hpp>
#include <libtorrent/operations.hpp>

namespace ezio::storage {

namespace {

// A vectored write being assembled: iovecs that land back to back on disk.
struct WriteRun {
	DiskOffset start;
	std::int64_t length = 0;
	lt::file_index_t file{0};
	std::vector<iovec> buffers;
	std::size_t first_block = 0;  // positions in the caller's span
	std::size_t last_block = 0;
};

std::int64_t micros_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ExtentStorage::ExtentStorage(std::uint64_t id, lt::sha1_hash const& info_hash, ExtentMap extents,
	std::shared_ptr<Target> target, IoBackend& io)
	: RawStorage(id, info_hash, std::move(target), io), m_extents(std::move(extents))
{
}

int ExtentStorage::blocks_in_piece(lt::piece_index_t piece) const
{
	return (piece_size(piece) + block_size - 1) / block_size;
}

void ExtentStorage::write_piece(lt::piece_index_t piece, std::span<BlockRef> blocks, bool,
	std::optional<lt::sha1_hash> const&, Scratch&, EngineStats&) const
{
	write_blocks(piece, blocks);
	for (BlockRef& ref : blocks) ref.fate = ref.error ? BlockRef::Fate::failed : BlockRef::Fate::written;
}

FillRange ExtentStorage::fill_range(lt::piece_index_t piece, int block, int window) const
{
	// The window of the piece around `block`, with one vectored read per
	// disk run.
	window = std::max(1, window);
	int const first = block / window * window;
	return FillRange{first, std::min(first + window, blocks_in_piece(piece)), false};
}

lt::storage_error ExtentStorage::load(lt::piece_index_t piece, std::span<std::pair<int, char*> const> blocks,
	Scratch&, EngineStats&) const
{
	std::vector<char*> run;
	for (std::size_t i = 0; i < blocks.size();) {
		std::size_t j = i;
		run.assign({blocks[i].second});
		while (j + 1 < blocks.size() && blocks[j + 1].first == blocks[j].first + 1) run.push_back(blocks[++j].second);
		if (auto const error = read_blocks(piece, blocks[i].first, run)) return error;
		i = j + 1;
	}
	return {};
}

lt::storage_error ExtentStorage::hash_on_target(lt::piece_index_t piece, std::span<char const* const> in_memory,
	Scratch& scratch, lt::sha1_hash& result, EngineStats& stats) const
{
	// Blocks on disk only (written out early, or by an earlier run) are read
	// in runs through the scratch area.
	auto const start = std::chrono::steady_clock::now();
	constexpr int scratch_blocks = 64;
	scratch.raw.resize(std::size_t(scratch_blocks) * block_size);
	std::vector<char*> run;
	lt::hasher h;
	int const blocks = blocks_in_piece(piece);
	lt::storage_error error;
	for (int b = 0; b < blocks && !error;) {
		if (std::size_t(b) < in_memory.size() && in_memory[std::size_t(b)] != nullptr) {
			h.update(in_memory[std::size_t(b)], block_length(piece, b));
			++b;
			continue;
		}
		run.clear();
		while (b + int(run.size()) < blocks && int(run.size()) < scratch_blocks
			&& (std::size_t(b) + run.size() >= in_memory.size() || in_memory[std::size_t(b) + run.size()] == nullptr))
			run.push_back(scratch.raw.data() + run.size() * block_size);
		error = read_blocks(piece, b, run);
		for (std::size_t i = 0; i < run.size() && !error; ++i) h.update(run[i], block_length(piece, b + int(i)));
		b += int(run.size());
	}
	if (!error) result = h.final();
	EngineStats::add(stats.blocks_hashed, blocks);
	EngineStats::add(stats.hash_micros, micros_since(start));
	return error;
}

void ExtentStorage::write_blocks(lt::piece_index_t piece, std::span<BlockRef> blocks) const
{
	WriteRun run;
	auto submit = [&] {
		if (run.buffers.empty()) return;
		lt::error_code const ec = io().write(fd(), run.buffers, run.start);
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

lt::storage_error ExtentStorage::read_blocks(lt::piece_index_t piece, int first_block,
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
		if (lt::error_code const ec = io().read(fd(), buffers, d.offset))
			return lt::storage_error(ec, d.file, lt::operation_t::file_read);
	}
	return {};
}

}  // namespace ezio::storage
