#include "swarm/connection_rules.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libtorrent/entry.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_info.hpp>

#include <spdlog/spdlog.h>

#include "swarm/peer_count.hpp"

namespace ezio::swarm {
namespace {

using Clock = std::chrono::steady_clock;

// A newcomer in the spare slot is judged once it sent its extension
// handshake and said what it has, or after this many ticks.
constexpr int probation_ticks = 2;
// The count we tell peers leaves out connections younger than this: a
// client that calls several full peers at once must not look well
// connected to each of them because the others took it in for a moment.
constexpr auto settle_time = std::chrono::seconds(probation_ticks + 1);

class RulesPeer;

// What the peer plugins of one torrent share.
struct Shared {
	Shared(Room r, int u, bool s, std::shared_ptr<Probation> p)
		: room(r), max_uploads(u), seed(s), probation(std::move(p))
	{}

	Room const room;
	int const max_uploads;
	bool seed;  // the torrent has every piece
	std::shared_ptr<Probation> const probation;  // the newcomers not judged yet
	std::vector<RulesPeer*> peers;  // oldest first

	// Connections that count against the limit: connected (TCP), not
	// closing and not in the spare slot.
	int held() const;
	// Whether the room rule is on and the torrent holds its limit without
	// `besides` (a connection that wants a slot).
	bool full(RulesPeer const* besides = nullptr) const;
	// Those of them older than settle_time: the count we tell peers.
	int settled() const;
	// `newcomer`, choked, is about to say INTERESTED: frees it a slot
	// (upload_slot_to_free).
	void free_upload_slot(RulesPeer const* newcomer) const;
};

class RulesPeer final : public lt::peer_plugin {
public:
	RulesPeer(std::shared_ptr<Shared> shared, lt::peer_connection_handle peer, bool probation)
		: m_shared(std::move(shared)), m_peer(std::move(peer)), m_probation(probation)
	{
		m_shared->peers.push_back(this);
		if (m_probation) m_shared->probation->enter(m_peer);
	}
	~RulesPeer() override { leave(); }

	lt::string_view type() const override { return "ezio_connection_rules"; }

	// Observe only: returning false lets libtorrent handle each message.
	bool on_interested() override
	{
		// Before libtorrent reads it: its own unchoke then finds the slot.
		if (m_peer.is_choked()) m_shared->free_upload_slot(this);
		return spoke();
	}
	bool on_bitfield(lt::bitfield const&) override { return spoke(); }
	bool on_have(lt::piece_index_t) override { return spoke(); }
	bool on_have_all() override { return spoke(); }
	bool on_have_none() override { return spoke(); }
	void on_disconnect(lt::error_code const& error) override
	{
		if (spdlog::should_log(spdlog::level::debug) && m_peer.is_seed() && !m_shared->seed)
			spdlog::debug("connection rules: the seed {} is gone ({})", describe(), error.message());
		leave();
	}

	void on_connected() override
	{
		m_connected_at = Clock::now();
		// libtorrent calls out while the torrent holds its limit only to
		// fill the spare slot, which is for peers that call us.
		if (m_shared->full(this)) close(lt::errors::too_many_connections);
	}

	void add_handshake(lt::entry& handshake) override { add_peer_count(handshake, others_settled()); }

	bool on_extension_handshake(lt::bdecode_node const& handshake) override
	{
		auto const said = read_peer_count(handshake);
		m_peer_msg_id = said.msg_id;
		heard(said.count);
		m_extension_handshake = true;
		return true;
	}

	bool on_extended(int length, int msg, lt::span<char const> body) override
	{
		if (msg != peer_count_msg_id) return false;
		if (length > max_peer_count_payload) return true;  // not ours to read
		if (!lt::bt_peer_connection_handle(m_peer).packet_finished()) return true;
		if (auto const count = parse_peer_count(body)) heard(count);
		return true;
	}

	void tick() override
	{
		if (m_silence.tick()) return close();
		// A call still connecting (a PC that is off) would hold the spare
		// slot for up to peer_connect_timeout.
		if (m_peer.is_outgoing() && m_peer.is_connecting() && m_shared->full(this))
			return close(lt::errors::too_many_connections);
		++m_ticks;
		int const count = others_settled();
		if (m_peer_msg_id != 0 && count != m_count_sent && !m_probation) {
			auto const message = peer_count_message(m_peer_msg_id, count);
			m_peer.send_buffer(message.data(), int(message.size()));
			m_count_sent = count;
		}
	}

	// The spare slot's newcomer is ready to be judged.
	bool ready() const { return m_probation && ((m_extension_handshake && m_silence.has_spoken()) || m_ticks >= probation_ticks); }
	void admitted(bool for_room)
	{
		m_probation = false;
		m_shared->probation->leave(m_peer);
		m_let_in_for_room = for_room;
		m_guest = for_room;
	}
	bool counts() const { return !m_probation && !m_peer.is_connecting() && !m_peer.is_disconnecting(); }
	bool silent() const { return !m_silence.has_spoken(); }
	SlotHolder slot() const
	{
		bool const holds = !m_peer.is_choked() && !m_peer.is_disconnecting() && !m_peer.ignore_unchoke_slots();
		return {holds, m_peer.is_peer_interested()};
	}
	void give_up_slot() { m_peer.choke_this_peer(); }
	bool settled() const { return counts() && Clock::now() - m_connected_at >= settle_time; }
	std::string describe() const
	{
		auto const& e = m_peer.remote();
		return e.address().to_string() + ":" + std::to_string(e.port());
	}

	PeerView view() const
	{
		PeerView v;
		v.others = m_others;
		v.seed = m_peer.is_seed();
		v.let_in_for_room = m_let_in_for_room;
		v.guest = m_guest;
		v.age_s = int(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - m_connected_at).count());
		lt::peer_info info;
		m_peer.get_peer_info(info);
		v.gives_bytes_per_s = info.payload_down_speed;
		v.pieces = info.num_pieces;
		return v;
	}

	// Closes the connection: by default as dead weight (the silence rule),
	// too_many_connections for the limit and the room rule.
	void close(lt::errors::error_code_enum why = lt::errors::timed_out_no_interest)
	{
		leave();
		m_peer.disconnect(why, lt::operation_t::bittorrent);
	}

private:
	// What the peer said it holds besides us. One let in for room counts
	// as such only while it is short of peers.
	void heard(std::optional<int> others)
	{
		m_others = others;
		if (m_others && *m_others >= m_shared->room.needy_below()) m_let_in_for_room = false;
	}

	// What we tell this peer: our settled connections besides this one.
	int others_settled() const { return m_shared->settled() - (settled() ? 1 : 0); }

	bool spoke()
	{
		m_silence.spoke();
		return false;
	}

	void leave()
	{
		if (m_probation) m_shared->probation->leave(m_peer);
		auto& peers = m_shared->peers;
		peers.erase(std::remove(peers.begin(), peers.end(), this), peers.end());
	}

	std::shared_ptr<Shared> m_shared;
	lt::peer_connection_handle m_peer;
	SilenceRule m_silence;
	bool m_probation;  // in the spare slot, not judged yet
	bool m_let_in_for_room = false;
	bool m_guest = false;  // let in by the room rule
	bool m_extension_handshake = false;
	int m_ticks = 0;
	int m_peer_msg_id = 0;  // the id it takes our count under; 0: none
	int m_count_sent = -1;
	std::optional<int> m_others;  // its connections besides this one
	Clock::time_point m_connected_at = Clock::now();
};

int Shared::held() const
{
	return int(std::count_if(peers.begin(), peers.end(), [](RulesPeer const* p) { return p->counts(); }));
}

bool Shared::full(RulesPeer const* besides) const
{
	int const others = held() - (besides && besides->counts() ? 1 : 0);
	return room.needy_below() > 0 && others >= room.limit();
}

int Shared::settled() const
{
	return int(std::count_if(peers.begin(), peers.end(), [](RulesPeer const* p) { return p->settled(); }));
}

void Shared::free_upload_slot(RulesPeer const* newcomer) const
{
	std::vector<RulesPeer*> others;
	std::vector<SlotHolder> slots;
	for (RulesPeer* p : peers) {
		if (p == newcomer) continue;
		others.push_back(p);
		slots.push_back(p->slot());
	}
	if (auto const freed = upload_slot_to_free(max_uploads, slots)) others[*freed]->give_up_slot();
}

class RulesTorrent final : public lt::torrent_plugin {
public:
	RulesTorrent(Room room, int max_uploads, bool seed, std::shared_ptr<ConnectionReset> reset, std::string label,
		std::shared_ptr<Probation> probation)
		: m_label(std::move(label))
		, m_shared(std::make_shared<Shared>(room, max_uploads, seed, std::move(probation)))
		, m_reset(std::move(reset))
		, m_resets_done(m_reset ? m_reset->requests() : 0)
	{}

	void on_state(lt::torrent_status::state_t state) override
	{
		m_shared->seed = state == lt::torrent_status::seeding || state == lt::torrent_status::finished;
	}

	void tick() override
	{
		if (m_reset && m_reset->requests() != m_resets_done) {
			m_resets_done = m_reset->requests();
			// close() takes each one out of the list.
			std::vector<RulesPeer*> const all = m_shared->peers;
			for (RulesPeer* peer : all) peer->close();
			return;
		}
		std::vector<RulesPeer*> const all = m_shared->peers;
		for (RulesPeer* peer : all) {
			if (peer->ready()) judge(*peer);
		}
	}

	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const& peer) override
	{
		// libtorrent asks its plugins before it checks the torrent's
		// connection limit: a slot freed here is the newcomer's.
		int const limit = m_shared->room.limit();
		auto const& peers = m_shared->peers;
		if (limit > 0 && int(peers.size()) >= limit) {
			auto const oldest_silent = std::find_if(peers.begin(), peers.end(), [](RulesPeer* p) { return p->silent(); });
			if (oldest_silent != peers.end()) (*oldest_silent)->close();
		}
		bool const probation = !peer.is_outgoing() && m_shared->full();
		return std::make_shared<RulesPeer>(m_shared, peer, probation);
	}

private:
	void judge(RulesPeer& newcomer)
	{
		std::vector<RulesPeer*> held;
		std::vector<PeerView> views;
		for (RulesPeer* p : m_shared->peers) {
			if (p == &newcomer || !p->counts()) continue;
			held.push_back(p);
			views.push_back(p->view());
		}
		PeerView const newcomer_view = newcomer.view();
		auto const verdict = m_shared->room.admit(newcomer_view, views, m_shared->seed);
		if (!verdict.keep_newcomer) return newcomer.close(lt::errors::too_many_connections);
		newcomer.admitted(verdict.close.has_value());
		if (!verdict.close) return;
		RulesPeer& victim = *held[*verdict.close];
		spdlog::info("{}: let {} in ({} other peers), closed {} for it ({} other peers)", m_label,
			newcomer.describe(), newcomer_view.others.value_or(-1), victim.describe(),
			views[*verdict.close].others.value_or(-1));
		victim.close(lt::errors::too_many_connections);
	}

	std::string const m_label;  // for the log
	std::shared_ptr<Shared> m_shared;
	std::shared_ptr<ConnectionReset> const m_reset;
	std::uint32_t m_resets_done;  // requests carried out
};

}  // namespace

std::optional<std::size_t> upload_slot_to_free(int max_uploads, std::vector<SlotHolder> const& peers)
{
	if (max_uploads <= 0) return std::nullopt;
	auto const held = std::count_if(peers.begin(), peers.end(), [](SlotHolder const& p) { return p.unchoked; });
	if (held < max_uploads) return std::nullopt;
	auto const idle = std::find_if(peers.begin(), peers.end(), [](SlotHolder const& p) { return p.unchoked && !p.interested; });
	if (idle == peers.end()) return std::nullopt;
	return std::size_t(idle - peers.begin());
}

int room_slot(int limit)
{
	return limit > 0 && Room(limit).needy_below() > 0 ? limit + 1 : limit;
}

TorrentPluginFactory connection_rules_plugin(Room room, int max_uploads, bool seed,
	std::shared_ptr<ConnectionReset> reset, std::string label, std::shared_ptr<Probation> probation)
{
	if (!probation) probation = std::make_shared<Probation>();
	return [room, max_uploads, seed, reset = std::move(reset), label = std::move(label),
			   probation = std::move(probation)](
			   lt::torrent_handle const&, lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
		return std::make_shared<RulesTorrent>(room, max_uploads, seed, reset, label, probation);
	};
}

}  // namespace ezio::swarm
