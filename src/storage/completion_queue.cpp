#include "storage/completion_queue.hpp"

#include <boost/asio/post.hpp>

namespace ezio::storage {

CompletionQueue::CompletionQueue(lt::io_context& ioc) : m_ioc(ioc), m_state(std::make_shared<State>()) {}

void CompletionQueue::push(Completions& batch)
{
	if (batch.empty()) return;
	bool post = false;
	{
		MutexLock lock(m_state->mutex);
		if (m_state->pending.empty()) m_state->pending.swap(batch);
		else {
			for (auto& c : batch) m_state->pending.push_back(std::move(c));
		}
		post = !m_state->drain_posted;
		m_state->drain_posted = true;
	}
	batch.clear();
	if (post) boost::asio::post(m_ioc, [state = m_state] { drain(*state); });
}

void CompletionQueue::drain(State& state)
{
	Completions ready;
	{
		MutexLock lock(state.mutex);
		ready.swap(state.pending);
		state.drain_posted = false;
	}
	for (auto& c : ready) c();
}

}  // namespace ezio::storage
