#include "tracker/swarm_registry.hpp"

#include <algorithm>

namespace ezio::tracker {

void SwarmRegistry::Swarm::add(lt::tcp::endpoint const& endpoint, Peer peer)
{
	auto const [it, added] = peers.insert_or_assign(endpoint, peer);
	if (added) ++per_address[endpoint.address()];
}

void SwarmRegistry::Swarm::erase(lt::tcp::endpoint const endpoint)
{
	if (peers.erase(endpoint) == 0) return;
	auto const it = per_address.find(endpoint.address());
	if (it != per_address.end() && --it->second == 0) per_address.erase(it);
}

void SwarmRegistry::expire(Swarm& swarm, Clock::time_point now) const
{
	for (auto it = swarm.peers.begin(); it != swarm.peers.end();) {
		auto const next = std::next(it);
		if (now - it->second.last_seen > m_limits.peer_timeout) swarm.erase(it->first);
		it = next;
	}
}

Expected<AnnounceReply> SwarmRegistry::announce(Announce const& a, lt::address const& address, Clock::time_point now)
{
	MutexLock lock(m_mutex);
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
			if (m_swarms.size() >= m_limits.max_swarms) return Error{"the tracker is full (too many torrents)", Errc::failed_precondition};
		}
		it = m_swarms.emplace(a.info_hash, Swarm{}).first;
	}
	Swarm& swarm = it->second;
	expire(swarm, now);

	if (a.event == Event::stopped) {
		swarm.erase(self);
	} else {
		bool const known = swarm.peers.count(self) != 0;
		if (!known && swarm.peers.size() >= m_limits.max_peers_per_swarm)
			return Error{"the tracker is full (too many peers in this torrent)", Errc::failed_precondition};
		auto const from_address = swarm.per_address.find(address);
		if (!known && from_address != swarm.per_address.end()
			&& from_address->second >= m_limits.max_peers_per_address)
			return Error{"too many peers of this torrent at this address", Errc::failed_precondition};
		auto const known_peer = swarm.peers.find(self);
		std::int64_t const first_left = known_peer != swarm.peers.end() ? known_peer->second.first_left : a.left;
		swarm.add(self, Peer{a.left, first_left, now});
	}

	AnnounceReply reply;
	for (auto const& [endpoint, peer] : swarm.peers) (peer.left == 0 ? reply.complete : reply.incomplete) += 1;
	if (a.event != Event::stopped)
		reply.peers = pick(swarm, self, a.left == 0, std::size_t(std::min(a.numwant, peers_per_answer)));  // numwant >= 0
	if (swarm.empty()) m_swarms.erase(it);
	return reply;
}

std::vector<lt::tcp::endpoint> SwarmRegistry::pick(Swarm const& swarm, lt::tcp::endpoint const& self,
	bool self_is_seed, std::size_t wanted)
{
	std::vector<std::pair<lt::tcp::endpoint, bool>> candidates;  // and whether it progressed
	candidates.reserve(swarm.peers.size());
	for (auto const& [endpoint, peer] : swarm.peers)
		// A seed has no use for other seeds.
		if (endpoint != self && !(self_is_seed && peer.left == 0)) candidates.emplace_back(endpoint, peer.progressed());
	std::shuffle(candidates.begin(), candidates.end(), m_random);
	// Those that progressed first, each side still in random order.
	std::stable_partition(candidates.begin(), candidates.end(), [](auto const& c) { return c.second; });

	std::vector<lt::tcp::endpoint> picked;
	std::map<lt::address, std::size_t> per_address;
	std::size_t progressed = 0;
	std::size_t unproven = 0;
	for (auto const& [endpoint, has_progressed] : candidates) {
		if (picked.size() == wanted) break;
		if (!has_progressed && progressed * 2 >= wanted && unproven >= 1) break;
		std::size_t& from_address = per_address[endpoint.address()];
		if (from_address == m_limits.answer_entries_per_address) continue;
		++from_address;
		++(has_progressed ? progressed : unproven);
		picked.push_back(endpoint);
	}
	return picked;
}

std::size_t SwarmRegistry::num_swarms() const
{
	MutexLock lock(m_mutex);
	return m_swarms.size();
}

std::size_t SwarmRegistry::num_peers() const
{
	MutexLock lock(m_mutex);
	std::size_t n = 0;
	for (auto const& [hash, swarm] : m_swarms) n += swarm.peers.size();
	return n;
}

}  // namespace ezio::tracker
