#include "swarm/handout_plugin.hpp"

#include "swarm/bt_message.hpp"
#include "swarm/piece_handout.hpp"

#include <libtorrent/bitfield.hpp>
#include <libtorrent/disk_interface.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_request.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>
#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ezio::swarm {
namespace {

// A piece in flight nobody asked for in this long goes back to the pool.
constexpr std::chrono::seconds stale_after{5};

class HandoutPeer;

// What the peer plugins of one torrent share.
struct Shared {
	Shared(std::vector<int> const& blocks_of_piece, std::shared_ptr<Probation const> p)
		: handout(blocks_of_piece)
		, probation(std::move(p))
		, refusals_before_choke(std::max(64, 2 * std::accumulate(blocks_of_piece.begin(), blocks_of_piece.end(), 0,
			[](int a, int b) { return std::max(a, b); })))
	{}

	PieceHandout handout;
	std::shared_ptr<Probation const> const probation;  // may be null
	// A client refused this many times in a row, with nothing queued here
	// and no piece of its own to ask for, is choked: it ignores what we
	// suggest, and would ask again tens of thousands of times a second.
	int const refusals_before_choke;
	// Clients we choked after refusing them: unchoked when a piece moves
	// (a HAVE), so that on a fast LAN they ask again within milliseconds,
	// or else by their own tick a second later.
	std::vector<HandoutPeer*> choked;

	void unchoke_all();
};

class HandoutPeer final : public lt::peer_plugin {
public:
	HandoutPeer(std::shared_ptr<Shared> shared, lt::peer_connection_handle peer)
		: m_shared(std::move(shared)), m_handout(&m_shared->handout), m_peer(std::move(peer))
		, m_since(PieceHandout::Clock::now())
	{
		m_handout->add_peer(key());
	}
	~HandoutPeer() override { leave(); }

	lt::string_view type() const override { return "ezio_handout"; }

	bool on_handshake(lt::span<char const> reserved) override
	{
		// BEP 6: bit 0x04 of the last reserved byte is the fast extension,
		// which REJECT_REQUEST belongs to.
		m_fast = reserved.size() == 8 && (reserved[7] & 0x04) != 0;
		return true;
	}

	void on_disconnect(lt::error_code const& error) override
	{
		if (int const flights = m_handout->in_flight(key()); flights > 0) {
			auto const& e = m_peer.remote();
			spdlog::debug("piece handout: {}:{} left with {} piece(s) in flight after {} s ({})",
				e.address().to_string(), e.port(), flights,
				std::chrono::duration_cast<std::chrono::seconds>(PieceHandout::Clock::now() - m_since).count(),
				error.message());
		}
		leave();
	}

	bool on_have(lt::piece_index_t piece) override
	{
		m_handout->peer_has(key(), static_cast<int>(piece));
		m_shared->unchoke_all();
		return false;
	}
	bool on_dont_have(lt::piece_index_t piece) override
	{
		m_handout->peer_lost(key(), static_cast<int>(piece));
		return false;
	}
	bool on_have_all() override
	{
		m_handout->peer_has_all(key());
		return false;
	}
	bool on_bitfield(lt::bitfield const& bits) override
	{
		if (bits.all_set() && bits.size() > 0) {
			m_handout->peer_has_all(key());
			return false;
		}
		for (int piece = 0; piece < bits.size(); ++piece)
			if (bits.get_bit(piece)) m_handout->peer_had(key(), piece);
		return false;
	}

	bool on_request(lt::peer_request const& r) override
	{
		if (!m_fast) return false;
		if (m_peer.is_choked() || (m_shared->probation && m_shared->probation->holds(m_peer))) {
			// Refused whatever it asks for (libtorrent would refuse it too, or
			// serve an allowed-fast piece past the handout). It must not count
			// as asking for a piece in flight: that kept a stalled flight from
			// going stale. A newcomer in the spare slot is most often closed
			// when it is judged, a second or two later, with what it was
			// handed.
			reject(r);
			return true;
		}
		if (m_handout->may_serve(key(), static_cast<int>(r.piece), PieceHandout::Clock::now())) {
			++m_queued;
			m_refused_in_row = 0;
			m_suggested = -1;
			return false;
		}
		reject(r);
		++m_refused_in_row;
		if (m_handout->expects_requests(key())) return true;  // its own piece's blocks are coming
		// Tell it which piece it would be given. libtorrent picks suggested
		// pieces first, so its next request is one we grant, instead of
		// the same refused block again and again (its picker keeps going
		// back to a piece it started).
		if (int const piece = m_handout->suggestion(key()); piece >= 0 && piece != m_suggested) {
			suggest(piece);
			m_suggested = piece;
		}
		// A client with nothing queued here asks again at once, block by
		// block, for as long as we have nothing for it: tens of thousands of
		// rejects a second. Choked, it takes its pieces from the other
		// clients; it is unchoked to ask again when a piece moves (the next
		// HAVE from any client) or by tick() a second later (libtorrent's
		// choker left such peers choked: a swarm stalled).
		// One with blocks queued here, or with blocks of a piece in flight
		// still to ask for, is not choked: that would cancel them and stall
		// its piece. Nor is one that was refused only a few times: a client
		// asks in bursts, in its own order, and the suggestion above is
		// taken up only after the requests already on their way. (Choking
		// on the first refused request of a burst refused the rest of it,
		// the grantable ones too, and again after each unchoke: two clients
		// of a throttled seeder sat for 20 s and got nothing.)
		if (m_queued == 0 && !m_choked_by_us && m_refused_in_row >= m_shared->refusals_before_choke) {
			m_peer.choke_this_peer();
			m_choked_by_us = true;
			m_shared->choked.push_back(this);
		}
		return true;  // handled: libtorrent does not serve it
	}

	// What libtorrent still has to send this client of what we let through.
	void sent_piece(lt::peer_request const& r) override
	{
		unqueue_one();
		m_handout->sent(key(), static_cast<int>(r.piece), PieceHandout::Clock::now());
	}
	void sent_reject_request(lt::peer_request const&) override { unqueue_one(); }
	bool on_cancel(lt::peer_request const&) override
	{
		unqueue_one();
		return false;
	}
	void sent_choke() override
	{
		m_queued = 0;  // libtorrent rejects what was queued
		if (m_handout->in_flight(key()) > 0) m_handout->count_choke_in_flight();
	}

	void tick() override
	{
		if (!m_choked_by_us) return;
		forget_choke();
		unchoke();
	}

	// Lets a client we choked ask again.
	void unchoke()
	{
		m_choked_by_us = false;
		m_refused_in_row = 0;  // a full run of refusals again before the next choke
		m_suggested = -1;
		if (m_peer.is_choked()) m_peer.maybe_unchoke_this_peer();
	}

private:
	void unqueue_one() { m_queued = std::max(0, m_queued - 1); }

	void forget_choke()
	{
		auto& choked = m_shared->choked;
		choked.erase(std::remove(choked.begin(), choked.end(), this), choked.end());
	}

	void leave()
	{
		forget_choke();
		m_choked_by_us = false;
		m_handout->remove_peer(key());
	}

	PieceHandout::Peer key() const { return reinterpret_cast<PieceHandout::Peer>(this); }

	// A message of the fast extension (BEP 6): its id and 32-bit fields.
	void send_fast_message(char id, std::initializer_list<std::uint32_t> fields)
	{
		std::array<char, 17> message{};
		int const length = 1 + 4 * int(fields.size());
		put_u32(message.data(), std::uint32_t(length));
		message[4] = id;
		char* out = message.data() + 5;
		for (std::uint32_t const field : fields) {
			put_u32(out, field);
			out += 4;
		}
		m_peer.send_buffer(message.data(), 4 + length);
	}

	void reject(lt::peer_request const& r)
	{
		send_fast_message(16, {std::uint32_t(static_cast<int>(r.piece)), std::uint32_t(r.start),
								  std::uint32_t(r.length)});  // REJECT_REQUEST
	}

	void suggest(int piece) { send_fast_message(13, {std::uint32_t(piece)}); }  // SUGGEST_PIECE

	std::shared_ptr<Shared> m_shared;
	PieceHandout* m_handout;  // in m_shared
	lt::peer_connection_handle m_peer;
	PieceHandout::Clock::time_point const m_since;  // connected
	bool m_fast = false;
	bool m_choked_by_us = false;
	int m_queued = 0;
	int m_refused_in_row = 0;  // requests refused since the last one granted
	int m_suggested = -1;      // the piece last suggested, until a request is granted
};

void Shared::unchoke_all()
{
	std::vector<HandoutPeer*> waiting;
	waiting.swap(choked);
	for (HandoutPeer* peer : waiting) peer->unchoke();
}

class HandoutTorrent final : public lt::torrent_plugin {
public:
	HandoutTorrent(std::vector<int> blocks_of_piece, std::shared_ptr<Probation const> probation)
		: m_shared(std::make_shared<Shared>(blocks_of_piece, std::move(probation)))
	{}

	~HandoutTorrent() override
	{
		auto const& t = m_shared->handout.tally();
		spdlog::info("piece handout: {} first copies and {} more copies handed out; requests declined: {} from "
			"clients with a piece in flight, {} for pieces with more copies than others, {} other; {} clients served "
			"as they asked after {} s without a new piece; pieces in flight given back: {} unasked for {} s, {} "
			"with their client gone; {} chokes of a client with a piece in flight; {} blocks sent, {} of them beyond "
			"a first copy of their piece",
			t.first_copies, t.more_copies, t.declined_busy, t.declined_not_rarest, t.declined_other,
			t.starving_clients, std::chrono::duration_cast<std::chrono::seconds>(PieceHandout::starving_after).count(),
			t.stale_flights, stale_after.count(), t.lost_flights, t.choked_in_flight, t.blocks_sent, t.blocks_resent);
	}

	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const& peer) override
	{
		return std::make_shared<HandoutPeer>(m_shared, peer);
	}

	void tick() override
	{
		m_shared->handout.expire_stale(PieceHandout::Clock::now(), stale_after);
		if (spdlog::should_log(spdlog::level::debug)) log_second();
	}

private:
	// What the handout did in the last second (debug): where a seeder's link
	// went idle, the log says whether its clients were refused, and why.
	void log_second()
	{
		auto const& t = m_shared->handout.tally();
		auto const& l = m_last;
		spdlog::debug("piece handout, last second: {} first copies, {} more; declined {} busy, {} not rarest; {} "
			"chokes in flight; {} clients choked by the handout, {} pieces in flight; {} blocks sent, {} beyond a "
			"first copy",
			t.first_copies - l.first_copies, t.more_copies - l.more_copies, t.declined_busy - l.declined_busy,
			t.declined_not_rarest - l.declined_not_rarest, t.choked_in_flight - l.choked_in_flight,
			m_shared->choked.size(), m_shared->handout.flights(), t.blocks_sent - l.blocks_sent,
			t.blocks_resent - l.blocks_resent);
		m_last = t;
	}

	std::shared_ptr<Shared> m_shared;
	PieceHandout::Tally m_last;  // as of the last log_second
};

}  // namespace

std::vector<int> blocks_to_ask_for(lt::file_storage const& files)
{
	int const block = lt::default_block_size;
	std::vector<int> blocks(std::size_t(std::max(files.num_pieces(), 0)), 0);
	for (lt::piece_index_t const piece : files.piece_range()) {
		// The blocks that hold a byte of a file that is not padding.
		std::vector<bool> asked(std::size_t((files.piece_size(piece) + block - 1) / block), false);
		int at = 0;
		for (lt::file_slice const& slice : files.map_block(piece, 0, files.piece_size(piece))) {
			int const length = int(slice.size);
			if (!files.pad_file_at(slice.file_index) && length > 0)
				for (int b = at / block; b <= (at + length - 1) / block; ++b) asked[std::size_t(b)] = true;
			at += length;
		}
		blocks[std::size_t(static_cast<int>(piece))] = int(std::count(asked.begin(), asked.end(), true));
	}
	return blocks;
}

TorrentPluginFactory handout_plugin(lt::file_storage const& files, std::shared_ptr<Probation const> probation)
{
	std::vector<int> const blocks = blocks_to_ask_for(files);
	return [blocks, probation = std::move(probation)](
			   lt::torrent_handle const&, lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
		return std::make_shared<HandoutTorrent>(blocks, probation);
	};
}

}  // namespace ezio::swarm
