#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ezio::swarm {

// Which pieces a seeder hands to which client, so that it sends each piece
// into the swarm about once and the clients pass it on among themselves.
//
// libtorrent's seeder serves whatever a client asks for; eight clients that
// start together ask for the same pieces and the seeder sends the image about
// twice. libtorrent's super-seeding sends each piece about once, but it
// offers a new client its first piece only after ten seconds and one or two
// pieces at a time after that. This policy decides per request instead:
//
//   - a client may go on with a piece it was handed (in flight);
//   - otherwise it may start a piece only if each piece in flight to it
//     is nearly all asked for, and only a piece with the fewest copies in
//     the swarm among those it lacks. A copy is a client that has the
//     piece or has it in flight from the seeder.
//
// So the seeder first hands out every piece once; once each has a copy it
// adds copies of the rarest ones, which keeps its link busy to the end
// without repeating pieces the clients can already get from each other.
//
// That assumes the clients reach each other. A client refused then is
// served whatever it asks from then on, as a plain seeder would serve it,
// when either
//   - no client has announced a new piece for `starving_after`: the swarm
//     is stuck (each client asking for pieces another holds); or
//   - `alone_after` after the first piece was held in the swarm, no client
//     has yet announced a piece that the seeder did not send it: the
//     clients cannot reach each other (they know only the seeder, `add
//     --peer` with no tracker), and each would otherwise get only the
//     rare pieces it happens to ask for, slowly.
// One slow client in a moving swarm does not count: under TSan, or at 16
// clients on 100 Mbit/s, pieces reach a client more than 5 s apart while
// others progress.
//
// Pure and single-threaded: the libtorrent plugin (handout_plugin) calls it
// from the network thread.
class PieceHandout {
public:
	using Peer = std::uintptr_t;
	using Clock = std::chrono::steady_clock;

	static constexpr Clock::duration starving_after = std::chrono::seconds(5);
	static constexpr Clock::duration alone_after = std::chrono::seconds(10);

	// A client may start a new piece once three quarters of the blocks (of
	// blocks_per_piece) of each piece in flight to it were asked for, so its
	// requests run on across piece boundaries; at most max_flights at once.
	//
	// Two is below what a client's queue asks for when pieces are small (it
	// asks a peer for about a second of its rate: some 48 blocks from a
	// seeder shared by six at 40 Mbit/s, where a chunk is about 16), so its
	// picker asks for a third piece again and again: up to 68,000 refusals
	// a second, whose REJECT messages took up to a quarter of the seeder's
	// link in those seconds. A cap of 32 ended that (busy refusals of a
	// deployment from about 430,000 to 19,000), and the seeder's first pass
	// ended 2 s earlier, but the deployment did not: the clients' links, not
	// the seeder's, set the pace, and in 5 of 8 runs the slowest client
	// finished 4-11 % after the fastest (1-2 % with two). A client that
	// holds many pieces no other has is a bottleneck when its link is slow.
	static constexpr std::size_t max_flights = 2;
	// A piece in flight that its client has neither asked for nor been sent
	// a block of for this long no longer keeps it busy (it stays in flight
	// until expire_stale). libtorrent's picker goes first to the begun
	// pieces with the fewest blocks left, and the pieces it was refused are
	// begun there too, so it may leave the rest of its own piece unasked
	// for while it asks for those again: a lone client on a 40 Mbit/s link,
	// refused 170,000-278,000 times a second, got nothing for 4 s, until
	// the swarm counted as stuck (starving_after).
	static constexpr Clock::duration idle_flight_after = std::chrono::seconds(1);
	explicit PieceHandout(int num_pieces, int blocks_per_piece);
	// The same with each piece's own count of blocks a client asks for (a
	// block entirely in a chunked torrent's pad is never asked for; the one
	// where a chunk ends is, whole: blocks_to_ask_for).
	explicit PieceHandout(std::vector<int> blocks_of_piece);

	void add_peer(Peer peer);
	// Forgets the peer: what it had in flight goes back to the pool.
	void remove_peer(Peer peer);

	// The peer announced a piece it got (HAVE), a piece it had when it
	// connected (its bitfield), or every piece (HAVE ALL, a seed).
	// Repeated announcements count once.
	void peer_has(Peer peer, int piece, Clock::time_point now = Clock::now());
	void peer_had(Peer peer, int piece, Clock::time_point now = Clock::now());
	void peer_has_all(Peer peer);
	void peer_lost(Peer peer, int piece);  // DONT_HAVE

	// May the seeder send a block of `piece` to `peer` now? A yes for a new
	// piece puts it in flight to that peer.
	bool may_serve(Peer peer, int piece, Clock::time_point now);

	// A block of `piece` went out to `peer`: its flight is alive. A client
	// may ask for every block of a piece at once; at a slow link's share
	// they then take longer to send than expire_stale's time.
	void sent(Peer peer, int piece, Clock::time_point now);

	// A piece in flight that its peer has neither asked for nor been sent
	// a block of within `after` goes back to the pool: the peer got it
	// elsewhere, or its hash failed.
	void expire_stale(Clock::time_point now, Clock::duration after);

	int num_pieces() const { return int(m_copies.size()); }
	// Clients that have the piece or have it in flight from the seeder.
	int copies(int piece) const;
	int in_flight(Peer peer) const;
	// Pieces in flight to all clients.
	int flights() const;
	// The piece this peer would be handed next if it asked: one it lacks,
	// not in flight to it, with the fewest copies; -1 if there is none (a
	// seed, a peer it does not know, or one that is getting everything).
	// Sent as a SUGGEST, it steers a client away from asking for pieces it
	// would be refused. Ties are broken by a start that differs per peer,
	// so that clients refused at the same time are steered apart.
	int suggestion(Peer peer) const;
	// Has the peer a piece in flight with blocks it has not asked for yet?
	// Such a client is about to ask for them: choking it would cancel them.
	bool expects_requests(Peer peer) const;

	// Pieces handed out: first copies in the swarm, and further copies.
	struct Tally {
		std::int64_t first_copies = 0;
		std::int64_t more_copies = 0;
		// Requests answered with a reject: the peer had its limit of pieces
		// in flight, or asked for a piece other clients have more copies of.
		std::int64_t declined_busy = 0;
		std::int64_t declined_not_rarest = 0;
		std::int64_t declined_other = 0;  // a seed, or a piece it has
		std::int64_t starving_clients = 0;  // served as they ask from then on
		// Pieces in flight that went back to the pool: not asked for within
		// expire_stale's time, or their peer left.
		std::int64_t stale_flights = 0;
		std::int64_t lost_flights = 0;
		// Chokes sent to a client with a piece in flight (counted by the
		// plugin, which sees them).
		std::int64_t choked_in_flight = 0;
		// Blocks sent (sent()), and of those the ones beyond their piece's
		// count of blocks: further copies, and blocks sent again after a
		// flight was given back. What the seeder sent more than the image.
		std::int64_t blocks_sent = 0;
		std::int64_t blocks_resent = 0;
	};
	void count_choke_in_flight() { ++m_tally.choked_in_flight; }
	Tally const& tally() const { return m_tally; }

private:
	struct PeerState {
		std::vector<bool> has;
		struct Flight {
			int piece;
			Clock::time_point last_request;  // or last block sent
			int blocks_asked = 1;
		};
		std::vector<Flight> in_flight;  // pieces the seeder is sending it
		Flight* flight(int piece);      // the flight of `piece`, or null
		Flight const* flight(int piece) const;
		bool seed = false;           // has everything: never served
		bool starving = false;  // refused while the swarm was stuck: served as it asks
		// fewest_copies_lacking() as of m_version: a scan of every piece
		// is redone only after a count changed, not for every request.
		mutable int fewest = 0;
		mutable std::uint64_t fewest_version = 0;
		// suggestion() as of m_version, for the same reason.
		mutable int suggested = -1;
		mutable std::uint64_t suggested_version = 0;
	};

	PeerState* find(Peer peer);
	PeerState const* find(Peer peer) const;
	// Returns whether `piece` was in flight to it.
	bool finish_flight(PeerState& state, int piece);
	void count_has(Peer peer, int piece, bool got_now, Clock::time_point now);
	// Takes the peer's copies, held and in flight, out of the counts.
	void uncount(PeerState const& state);
	int fewest_copies_lacking(PeerState const& state) const;

	// Progress of the whole swarm: pieces announced by any client, as last
	// seen by may_serve(), and when that count last changed (or the seeder
	// handed a piece out).
	std::int64_t m_pieces_announced = 0;
	std::int64_t m_progress_mark = -1;
	Clock::time_point m_last_progress;
	// When a client first held a piece, and whether any client has since
	// announced one the seeder did not send it (the clients trade).
	std::optional<Clock::time_point> m_first_held;
	bool m_clients_trade = false;
	std::vector<int> m_copies;
	std::uint64_t m_version = 1;  // bumped whenever a count or a peer's pieces change
	std::vector<int> m_blocks;  // per piece: the blocks a client asks for
	std::vector<int> m_blocks_sent;  // per piece: blocks sent to any client
	// Blocks after which a flight of `piece` no longer keeps its client busy.
	int nearly_asked(int piece) const { return std::max(m_blocks[std::size_t(piece)] * 3 / 4, 1); }
	std::unordered_map<Peer, PeerState> m_peers;
	Tally m_tally;
};

}  // namespace ezio::swarm
