#include "storage/block_pool.hpp"

#include <cstdlib>
#include <new>

namespace ezio::storage {

namespace {

// A block is block_size bytes of data followed by its reference count, so
// that the pointer libtorrent hands back is enough to find it.
constexpr std::size_t trailer = 64;

std::atomic<int>& refs(char* block)
{
	return *std::launder(reinterpret_cast<std::atomic<int>*>(block + BlockPool::block_size));
}

}  // namespace

BlockPool::BlockPool(std::int64_t budget_bytes, ReleaseFn release)
	: m_budget(budget_bytes), m_release(std::move(release))
{}

BlockPool::~BlockPool()
{
	for (char* block : m_free) std::free(block);
}

char* BlockPool::allocate()
{
	char* block = nullptr;
	{
		MutexLock lock(m_mutex);
		if (!m_free.empty()) {
			block = m_free.back();
			m_free.pop_back();
		}
	}
	if (block == nullptr) {
		block = static_cast<char*>(std::aligned_alloc(64, block_size + trailer));
		if (block == nullptr) return nullptr;
		new (block + block_size) std::atomic<int>(0);
	}
	refs(block).store(1, std::memory_order_relaxed);
	count_in(1);
	return block;
}

void BlockPool::count_in(std::int64_t blocks)
{
	std::int64_t const in_use = m_blocks_in_use.fetch_add(blocks) + blocks;
	std::int64_t peak = m_peak_blocks.load(std::memory_order_relaxed);
	while (in_use > peak && !m_peak_blocks.compare_exchange_weak(peak, in_use)) {}
}

void BlockPool::count_out(std::int64_t blocks)
{
	std::int64_t const in_use = (m_blocks_in_use.fetch_sub(blocks) - blocks) * block_size;
	if (m_exceeded.load()) maybe_release();
	if (in_use <= high_watermark()) maybe_signal_space();
}

void BlockPool::charge(std::int64_t bytes)
{
	count_in((bytes + block_size - 1) / block_size);
}

void BlockPool::refund(std::int64_t bytes)
{
	count_out((bytes + block_size - 1) / block_size);
}

char* BlockPool::try_allocate()
{
	if (bytes_in_use() + block_size > budget()) {
		m_space_wanted.store(true);
		return nullptr;
	}
	return allocate();
}

void BlockPool::retain(char* block)
{
	refs(block).fetch_add(1, std::memory_order_relaxed);
}

void BlockPool::release(char* block)
{
	if (block == nullptr) return;
	if (refs(block).fetch_sub(1, std::memory_order_acq_rel) != 1) return;
	give_back(block);
}

void BlockPool::give_back(char* block)
{
	bool keep;
	{
		MutexLock lock(m_mutex);
		// Keep no more than the budget could ever hold again.
		keep = std::int64_t(m_free.size() + 1) * block_size <= budget();
		if (keep) m_free.push_back(block);
	}
	if (!keep) std::free(block);
	count_out(1);
}

void BlockPool::maybe_signal_space()
{
	if (!m_space_wanted.load() || !m_space_wanted.exchange(false)) return;
	std::function<void()> space;
	{
		MutexLock lock(m_mutex);
		space = m_space;
	}
	if (space) space();
}

bool BlockPool::exceeded(std::shared_ptr<lt::disk_observer> observer)
{
	MutexLock lock(m_mutex);
	m_exceeded.store(true);
	if (bytes_in_use() <= high_watermark()) {
		if (m_waiting.empty()) m_exceeded.store(false);
		return false;
	}
	if (observer) m_waiting.push_back(std::move(observer));
	return true;
}

void BlockPool::set_space_callback(std::function<void()> callback)
{
	MutexLock lock(m_mutex);
	m_space = std::move(callback);
}

void BlockPool::set_budget(std::int64_t bytes)
{
	m_budget.store(bytes);
	{
		MutexLock lock(m_mutex);
		while (!m_free.empty() && std::int64_t(m_free.size()) * block_size > bytes) {
			std::free(m_free.back());
			m_free.pop_back();
		}
	}
	maybe_release();
	if (bytes_in_use() <= high_watermark()) maybe_signal_space();
}

void BlockPool::maybe_release()
{
	Observers wake;
	{
		MutexLock lock(m_mutex);
		if (!m_exceeded.load() || bytes_in_use() > low_watermark()) return;
		m_exceeded.store(false);
		wake.swap(m_waiting);
	}
	if (!wake.empty() && m_release) m_release(std::move(wake));
}

}  // namespace ezio::storage
