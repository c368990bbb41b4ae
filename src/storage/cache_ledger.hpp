// What the workers' read caches hold together, and which of them holds the
// piece that should go first when together they hold too much.
//
// Each worker owns its pieces (PieceCache); the read cache's limit is one
// for all of them (BlockPool::cache_limit()). Splitting that limit into
// equal shares per worker thrashed under small budgets: with 16 workers and
// a 64 MiB budget a worker kept 2 MiB, less than the chunks it was serving,
// and a piece just downloaded evicted one a peer was still reading while
// other workers kept pieces nobody had asked for in a minute (a chunk made
// again ~10 times per piece served). So eviction follows one order across
// all workers: each worker publishes the rank of its first victim (pieces
// sent in full first, then the least recently used), and only the worker
// holding the lowest rank evicts. The ranks are read without a lock and
// may be a moment old; the order is approximate, the limit is not: the
// worker that goes over it asks the lowest one to evict, and keeps asking
// until the total is back under the limit.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

namespace ezio::storage {

class CacheLedger {
public:
	// Lower goes first. A worker with nothing to evict publishes `none`.
	using Rank = std::int64_t;
	static constexpr Rank none = std::numeric_limits<Rank>::max();

	explicit CacheLedger(int workers = 1);

	int workers() const { return m_workers; }

	std::int64_t clean_bytes() const { return m_clean_bytes.load(std::memory_order_relaxed); }
	void add_clean_bytes(std::int64_t bytes) { m_clean_bytes.fetch_add(bytes, std::memory_order_relaxed); }

	void publish(int worker, Rank rank) { m_ranks[std::size_t(worker)].store(rank, std::memory_order_relaxed); }
	Rank rank_of(int worker) const { return m_ranks[std::size_t(worker)].load(std::memory_order_relaxed); }

	// The worker other than `self` with the lowest rank, and that rank
	// (`none` if no other worker has anything to evict).
	std::pair<int, Rank> lowest_other(int self) const;

private:
	int const m_workers;
	std::atomic<std::int64_t> m_clean_bytes{0};
	std::unique_ptr<std::atomic<Rank>[]> m_ranks;
};

}  // namespace ezio::storage
