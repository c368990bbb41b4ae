#include "storage/cache_ledger.hpp"

#include <algorithm>

namespace ezio::storage {

CacheLedger::CacheLedger(int workers)
	: m_workers(std::max(1, workers))
	, m_ranks(std::make_unique<std::atomic<Rank>[]>(std::size_t(m_workers)))
{
	for (int w = 0; w < m_workers; ++w) publish(w, none);
}

std::pair<int, CacheLedger::Rank> CacheLedger::lowest_other(int self) const
{
	std::pair<int, Rank> lowest{-1, none};
	for (int w = 0; w < m_workers; ++w) {
		if (w == self) continue;
		Rank const rank = rank_of(w);
		if (rank < lowest.second) lowest = {w, rank};
	}
	return lowest;
}

}  // namespace ezio::storage
