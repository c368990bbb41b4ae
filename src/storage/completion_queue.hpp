// Hands finished jobs back to libtorrent's network thread in batches.
//
// Workers push a whole batch of completions at once, and at most one drain
// is posted to the io_context at a time: a busy engine wakes the network
// thread once per batch, not once per 16 KiB block.
//
// Thread-safety: push() may be called from any thread.
#pragma once

#include <memory>

#include <libtorrent/io_context.hpp>

#include "common/mutex.hpp"
#include "storage/piece_cache.hpp"

namespace ezio::storage {

class CompletionQueue {
public:
	explicit CompletionQueue(lt::io_context& ioc);

	// Queues `batch` (and empties it) to run on the network thread in order,
	// after everything pushed before.
	void push(Completions& batch);

private:
	// Shared with the posted drain, which may run after the engine is gone.
	struct State {
		Mutex mutex;
		Completions pending EZIO_GUARDED_BY(mutex);
		bool drain_posted EZIO_GUARDED_BY(mutex) = false;
	};
	static void drain(State& state);

	lt::io_context& m_ioc;
	std::shared_ptr<State> m_state;
};

}  // namespace ezio::storage
