#include "swarm/room.hpp"

#include <algorithm>
#include <tuple>

namespace ezio::swarm {

int Room::needy_below() const
{
	return std::max(0, std::min(4, m_limit - 2));
}

int Room::max_room_admissions() const
{
	return std::max(1, m_limit / 3);
}

bool Room::wants_room(PeerView const& newcomer, bool we_seed, int seeds_held) const
{
	if (newcomer.seed) return !we_seed && seeds_held == 0;
	return newcomer.others && *newcomer.others < needy_below();
}

Room::Verdict Room::admit(PeerView const& newcomer, std::vector<PeerView> const& held, bool we_seed) const
{
	if (m_limit <= 0 || int(held.size()) < m_limit) return {true, std::nullopt};
	if (needy_below() == 0) return {};
	int seeds = 0;
	int let_in = 0;
	for (auto const& p : held) {
		seeds += p.seed ? 1 : 0;
		let_in += p.let_in_for_room ? 1 : 0;
	}
	if (!wants_room(newcomer, we_seed, seeds) || let_in >= max_room_admissions()) return {};

	// The connection missed least: its peer keeps at least needy_below()
	// connections without it; the one with the most connections, then the one that
	// gives us least, then (for a seed) the one that has most.
	std::optional<std::size_t> victim;
	auto const worth = [](PeerView const& p) {
		return std::make_tuple(-*p.others, p.gives_bytes_per_s, -p.pieces);
	};
	for (std::size_t i = 0; i < held.size(); ++i) {
		auto const& p = held[i];
		if (!p.others || *p.others < needy_below() || p.let_in_for_room) continue;
		if (p.age_s < (p.guest ? min_guest_age : min_victim_age)) continue;
		if (p.seed && !we_seed) continue;  // a client keeps its seed
		if (!victim || worth(p) < worth(held[*victim])) victim = i;
	}
	if (!victim) return {};
	return {true, victim};
}

}  // namespace ezio::swarm
