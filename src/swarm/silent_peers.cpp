#include "swarm/silent_peers.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include <libtorrent/error_code.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/peer_connection_handle.hpp>

namespace ezio::swarm {
namespace {

class SilentPeer;

// The connections of one torrent, oldest first.
struct Connections {
	std::vector<SilentPeer*> peers;
};

class SilentPeer final : public lt::peer_plugin {
public:
	SilentPeer(std::shared_ptr<Connections> connections, lt::peer_connection_handle peer)
		: m_connections(std::move(connections)), m_peer(std::move(peer))
	{
		m_connections->peers.push_back(this);
	}
	~SilentPeer() override { leave(); }

	lt::string_view type() const override { return "ezio_silent_peers"; }

	// Observe only: returning false lets libtorrent handle each message.
	bool on_interested() override { return spoke(); }
	bool on_bitfield(lt::bitfield const&) override { return spoke(); }
	bool on_have(lt::piece_index_t) override { return spoke(); }
	bool on_have_all() override { return spoke(); }
	bool on_have_none() override { return spoke(); }
	void on_disconnect(lt::error_code const&) override { leave(); }

	void tick() override
	{
		if (m_rule.tick()) close();
	}

	bool silent() const { return !m_rule.has_spoken(); }
	void close()
	{
		leave();
		m_peer.disconnect(lt::errors::timed_out_no_interest, lt::operation_t::bittorrent);
	}

private:
	bool spoke()
	{
		m_rule.spoke();
		return false;
	}

	void leave()
	{
		auto& peers = m_connections->peers;
		peers.erase(std::remove(peers.begin(), peers.end(), this), peers.end());
	}

	std::shared_ptr<Connections> m_connections;
	lt::peer_connection_handle m_peer;
	SilenceRule m_rule;
};

class SilentPeersTorrent final : public lt::torrent_plugin {
public:
	SilentPeersTorrent(int max_connections, std::shared_ptr<ConnectionReset> reset)
		: m_max_connections(max_connections)
		, m_reset(std::move(reset))
		, m_resets_done(m_reset ? m_reset->requests() : 0)
	{}

	void tick() override
	{
		if (!m_reset || m_reset->requests() == m_resets_done) return;
		m_resets_done = m_reset->requests();
		// close() takes each one out of the list.
		std::vector<SilentPeer*> const all = m_connections->peers;
		for (SilentPeer* peer : all) peer->close();
	}

	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const& peer) override
	{
		// libtorrent asks its plugins before it checks the torrent's
		// connection limit: a slot freed here is the newcomer's.
		auto const& peers = m_connections->peers;
		if (m_max_connections > 0 && int(peers.size()) >= m_max_connections) {
			auto const oldest_silent = std::find_if(peers.begin(), peers.end(), [](SilentPeer* p) { return p->silent(); });
			if (oldest_silent != peers.end()) (*oldest_silent)->close();
		}
		return std::make_shared<SilentPeer>(m_connections, peer);
	}

private:
	int const m_max_connections;
	std::shared_ptr<ConnectionReset> const m_reset;
	std::uint32_t m_resets_done;  // requests carried out
	std::shared_ptr<Connections> m_connections = std::make_shared<Connections>();
};

}  // namespace

TorrentPluginFactory silent_peers_plugin(int max_connections, std::shared_ptr<ConnectionReset> reset)
{
	return [max_connections, reset = std::move(reset)](
			   lt::torrent_handle const&, lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
		return std::make_shared<SilentPeersTorrent>(max_connections, reset);
	};
}

}  // namespace ezio::swarm
