#include "tracker/swarm_registry.hpp"

#include <algorithm>

namespace ezio::tracker {

void SwarmRegistry::expire(Swarm& swarm, Clock::time_point now) const
{
	std::erase_if(swarm, [&](auto const& entry) { return now - entry.second.last_seen > m_limits.peer_timeout; });
}

Expected<AnnounceReply> SwarmRegistry::announce(Announce const& a, lt::address const& address, Clock::time_point now)
{
	std::lock_guard<std::mutex> lock(m_mutex);
	lt::tcp::endpoint const self(address, a.port);

	auto it = m_swarms.find(a.info_hash);
	if (it == m_swarms.end()) {
		if (a.event == Event::stopped) return AnnounceReply{};
		// Make room by dropping swarms whose peers all went silent.
		if (m_swarms.size() >= m_limits.max_swarms) {
			for (auto swarm = m_swarms.begin(); swarm != m_swarms.end();) {
				expire(swarm->second, now);
				swarm = swarm->second.empty() ? m_swarms.erase(swarm) : std::next(swarm);
			}
			if (m_swarms.size() >= m_limits.max_swarms) return Error{"the tracker is full (too many torrents)"};
		}
		it = m_swarms.emplace(a.info_hash, Swarm{}).first;
	}
	Swarm& swarm = it->second;
	expire(swarm, now);

	if (a.event == Event::stopped) {
		swarm.erase(self);
	} else {
		if (swarm.count(self) == 0 && swarm.size() >= m_limits.max_peers_per_swarm)
			return Error{"the tracker is full (too many peers in this torrent)"};
		swarm[self] = Peer{a.left, now};
	}

	AnnounceReply reply;
	std::vector<lt::tcp::endpoint> others;
	others.reserve(swarm.size());
	for (auto const& [endpoint, peer] : swarm) {
		(peer.left == 0 ? reply.complete : reply.incomplete) += 1;
		// A seed has no use for other seeds.
		if (endpoint != self && !(a.left == 0 && peer.left == 0)) others.push_back(endpoint);
	}
	if (a.event != Event::stopped) {
		std::shuffle(others.begin(), others.end(), m_random);
		if (others.size() > std::size_t(a.numwant)) others.resize(std::size_t(a.numwant));
		reply.peers = std::move(others);
	}
	if (swarm.empty()) m_swarms.erase(it);
	return reply;
}

std::size_t SwarmRegistry::num_swarms() const
{
	std::lock_guard<std::mutex> lock(m_mutex);
	return m_swarms.size();
}

std::size_t SwarmRegistry::num_peers() const
{
	std::lock_guard<std::mutex> lock(m_mutex);
	std::size_t n = 0;
	for (auto const& [hash, swarm] : m_swarms) n += swarm.size();
	return n;
}

}  // namespace ezio::tracker
