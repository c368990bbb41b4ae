#include "storage/block_pool.hpp"

#include <cstdlib>

namespace ezio::storage {

BlockPool::BlockPool(std::int64_t budget_bytes, ReleaseFn release)
	: m_budget(budget_bytes), m_release(std::move(release))
{}

char* BlockPool::allocate()
{
	// Page alignment keeps the door open for O_DIRECT and costs nothing.
	auto* block = static_cast<char*>(std::aligned_alloc(4096, block_size));
	if (block != nullptr) m_blocks_in_use.fetch_add(1);
	return block;
}

void BlockPool::free(char* block)
{
	if (block == nullptr) return;
	std::free(block);
	m_blocks_in_use.fetch_sub(1);
	if (m_exceeded.load()) maybe_release();
}

bool BlockPool::exceeded(std::shared_ptr<lt::disk_observer> observer)
{
	std::lock_guard<std::mutex> lock(m_mutex);
	m_exceeded.store(true);
	if (bytes_in_use() <= high_watermark()) {
		if (m_waiting.empty()) m_exceeded.store(false);
		return false;
	}
	if (observer) m_waiting.push_back(std::move(observer));
	return true;
}

void BlockPool::set_budget(std::int64_t bytes)
{
	m_budget.store(bytes);
	maybe_release();
}

void BlockPool::maybe_release()
{
	Observers wake;
	{
		std::lock_guard<std::mutex> lock(m_mutex);
		if (!m_exceeded.load() || bytes_in_use() > low_watermark()) return;
		m_exceeded.store(false);
		wake.swap(m_waiting);
	}
	if (!wake.empty() && m_release) m_release(std::move(wake));
}

}  // namespace ezio::storage
