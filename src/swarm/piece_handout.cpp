#include "swarm/piece_handout.hpp"

#include <algorithm>
#include <climits>
#include <utility>

namespace ezio::swarm {

PieceHandout::PieceHandout(int num_pieces, int blocks_per_piece)
	: PieceHandout(std::vector<int>(std::size_t(std::max(num_pieces, 0)), blocks_per_piece))
{}

PieceHandout::PieceHandout(std::vector<int> blocks_of_piece)
	: m_copies(blocks_of_piece.size(), 0), m_blocks(std::move(blocks_of_piece)), m_blocks_sent(m_blocks.size(), 0)
{
	for (int& b : m_blocks) b = std::max(b, 1);
}

PieceHandout::PeerState::Flight const* PieceHandout::PeerState::flight(int piece) const
{
	auto const it =
		std::find_if(in_flight.begin(), in_flight.end(), [piece](Flight const& f) { return f.piece == piece; });
	return it == in_flight.end() ? nullptr : &*it;
}

PieceHandout::PeerState::Flight* PieceHandout::PeerState::flight(int piece)
{
	return const_cast<Flight*>(std::as_const(*this).flight(piece));
}

PieceHandout::PeerState* PieceHandout::find(Peer peer)
{
	auto const it = m_peers.find(peer);
	return it == m_peers.end() ? nullptr : &it->second;
}

PieceHandout::PeerState const* PieceHandout::find(Peer peer) const
{
	auto const it = m_peers.find(peer);
	return it == m_peers.end() ? nullptr : &it->second;
}

void PieceHandout::add_peer(Peer peer)
{
	PeerState& state = m_peers[peer];
	state.has.assign(m_copies.size(), false);
	++m_version;
}

void PieceHandout::remove_peer(Peer peer)
{
	PeerState* state = find(peer);
	if (state == nullptr) return;
	if (!state->seed) uncount(*state);
	m_tally.lost_flights += std::int64_t(state->in_flight.size());
	m_peers.erase(peer);
	++m_version;
}

void PieceHandout::uncount(PeerState const& state)
{
	for (std::size_t piece = 0; piece < m_copies.size(); ++piece)
		if (state.has[piece]) --m_copies[piece];
	for (auto const& flight : state.in_flight) --m_copies[std::size_t(flight.piece)];
}

bool PieceHandout::finish_flight(PeerState& state, int piece)
{
	if (std::erase_if(state.in_flight, [piece](PeerState::Flight const& f) { return f.piece == piece; }) == 0)
		return false;
	--m_copies[std::size_t(piece)];
	return true;
}

void PieceHandout::peer_has(Peer peer, int piece, Clock::time_point now)
{
	count_has(peer, piece, true, now);
}

void PieceHandout::peer_had(Peer peer, int piece, Clock::time_point now)
{
	count_has(peer, piece, false, now);
}

void PieceHandout::count_has(Peer peer, int piece, bool got_now, Clock::time_point now)
{
	PeerState* state = find(peer);
	if (state == nullptr || state->seed || piece < 0 || piece >= num_pieces()) return;
	if (state->has[std::size_t(piece)]) return;
	// The copy in flight becomes a copy held: the count stays.
	bool const from_us = finish_flight(*state, piece);
	if (got_now && !from_us) m_clients_trade = true;
	if (!m_first_held) m_first_held = now;
	state->has[std::size_t(piece)] = true;
	++m_pieces_announced;
	++m_copies[std::size_t(piece)];
	++m_version;
}

void PieceHandout::peer_has_all(Peer peer)
{
	PeerState* state = find(peer);
	if (state == nullptr || state->seed) return;
	// Another seed does not take part in the count: it is never served and
	// every client can get anything from it.
	uncount(*state);
	state->in_flight.clear();
	state->has.assign(m_copies.size(), true);
	state->seed = true;
	++m_version;
}

void PieceHandout::peer_lost(Peer peer, int piece)
{
	PeerState* state = find(peer);
	if (state == nullptr || state->seed || piece < 0 || piece >= num_pieces()) return;
	if (!state->has[std::size_t(piece)]) return;
	state->has[std::size_t(piece)] = false;
	--m_copies[std::size_t(piece)];
	++m_version;
}

int PieceHandout::fewest_copies_lacking(PeerState const& state) const
{
	if (state.fewest_version == m_version) return state.fewest;
	int fewest = INT_MAX;
	for (std::size_t piece = 0; piece < m_copies.size(); ++piece)
		if (!state.has[piece]) fewest = std::min(fewest, m_copies[piece]);
	state.fewest = fewest;
	state.fewest_version = m_version;
	return fewest;
}

bool PieceHandout::may_serve(Peer peer, int piece, Clock::time_point now)
{
	PeerState* state = find(peer);
	if (state == nullptr || piece < 0 || piece >= num_pieces()) return true;  // not ours to judge
	if (state->seed) {
		++m_tally.declined_other;
		return false;
	}
	auto& flights = state->in_flight;
	if (PeerState::Flight* flight = state->flight(piece)) {
		flight->last_request = now;
		++flight->blocks_asked;
		return true;
	}
	if (state->has[std::size_t(piece)]) {  // it says it has it
		++m_tally.declined_other;
		return false;
	}
	if (m_pieces_announced != m_progress_mark) {
		m_progress_mark = m_pieces_announced;
		m_last_progress = now;
	}
	// Busy: a piece in flight with a quarter of it still to ask for, or
	// max_flights of them, counting only the flights it is still asking
	// for or being sent (idle_flight_after).
	auto const active = [now](PeerState::Flight const& f) { return now - f.last_request < idle_flight_after; };
	bool const busy = std::size_t(std::count_if(flights.begin(), flights.end(), active)) >= max_flights
		|| std::any_of(flights.begin(), flights.end(), [this, &active](PeerState::Flight const& f) {
			   return active(f) && f.blocks_asked < nearly_asked(f.piece);
		   });
	bool const rarest = !busy && m_copies[std::size_t(piece)] <= fewest_copies_lacking(*state);
	if (!state->starving && (busy || !rarest)) {
		bool const stuck = now - m_last_progress >= starving_after;
		bool const alone = !m_clients_trade && m_first_held && now - *m_first_held >= alone_after;
		if (!stuck && !alone) {
			++(busy ? m_tally.declined_busy : m_tally.declined_not_rarest);
			return false;
		}
		state->starving = true;
		++m_tally.starving_clients;
	}
	m_last_progress = now;
	++(m_copies[std::size_t(piece)] == 0 ? m_tally.first_copies : m_tally.more_copies);
	flights.push_back({piece, now});
	++m_copies[std::size_t(piece)];
	++m_version;
	return true;
}

void PieceHandout::sent(Peer peer, int piece, Clock::time_point now)
{
	if (piece < 0 || piece >= num_pieces()) return;
	++m_tally.blocks_sent;
	if (++m_blocks_sent[std::size_t(piece)] > m_blocks[std::size_t(piece)]) ++m_tally.blocks_resent;
	PeerState* state = find(peer);
	if (state == nullptr) return;
	if (PeerState::Flight* flight = state->flight(piece)) flight->last_request = now;
}

void PieceHandout::expire_stale(Clock::time_point now, Clock::duration after)
{
	for (auto& [peer, state] : m_peers) {
		auto& flights = state.in_flight;
		for (auto it = flights.begin(); it != flights.end();) {
			if (now - it->last_request < after) {
				++it;
				continue;
			}
			--m_copies[std::size_t(it->piece)];
			it = flights.erase(it);
			++m_tally.stale_flights;
			++m_version;
		}
	}
}

int PieceHandout::copies(int piece) const
{
	return piece >= 0 && piece < num_pieces() ? m_copies[std::size_t(piece)] : 0;
}

int PieceHandout::in_flight(Peer peer) const
{
	PeerState const* state = find(peer);
	return state == nullptr ? 0 : int(state->in_flight.size());
}

int PieceHandout::flights() const
{
	int n = 0;
	for (auto const& [peer, state] : m_peers) n += int(state.in_flight.size());
	return n;
}

int PieceHandout::suggestion(Peer peer) const
{
	PeerState const* state = find(peer);
	if (state == nullptr || state->seed || m_copies.empty()) return -1;
	if (state->suggested_version == m_version) return state->suggested;
	std::size_t const n = m_copies.size();
	std::size_t const start = std::size_t(peer * 2654435761u) % n;  // Knuth's multiplicative hash
	int best = -1;
	for (std::size_t i = 0; i < n; ++i) {
		std::size_t const piece = (start + i) % n;
		if (state->has[piece] || state->flight(int(piece)) != nullptr) continue;
		if (best < 0 || m_copies[piece] < m_copies[std::size_t(best)]) best = int(piece);
	}
	state->suggested = best;
	state->suggested_version = m_version;
	return best;
}

bool PieceHandout::expects_requests(Peer peer) const
{
	PeerState const* state = find(peer);
	return state != nullptr
		&& std::any_of(state->in_flight.begin(), state->in_flight.end(),
			[this](PeerState::Flight const& f) { return f.blocks_asked < m_blocks[std::size_t(f.piece)]; });
}

}  // namespace ezio::swarm
