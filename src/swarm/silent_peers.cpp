#include "swarm/silent_peers.hpp"

#include <libtorrent/error_code.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/peer_connection_handle.hpp>

namespace ezio::swarm {
namespace {

class SilentPeer final : public lt::peer_plugin {
public:
	explicit SilentPeer(lt::peer_connection_handle peer) : m_peer(std::move(peer)) {}

	lt::string_view type() const override { return "ezio_silent_peers"; }

	// Observe only: returning false lets libtorrent handle each message.
	bool on_interested() override { return spoke(); }
	bool on_bitfield(lt::bitfield const&) override { return spoke(); }
	bool on_have(lt::piece_index_t) override { return spoke(); }
	bool on_have_all() override { return spoke(); }
	bool on_have_none() override { return spoke(); }

	void tick() override
	{
		if (m_rule.tick())
			m_peer.disconnect(lt::errors::timed_out_no_interest, lt::operation_t::bittorrent);
	}

private:
	bool spoke()
	{
		m_rule.spoke();
		return false;
	}

	lt::peer_connection_handle m_peer;
	SilenceRule m_rule;
};

class SilentPeersTorrent final : public lt::torrent_plugin {
public:
	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const& peer) override
	{
		return std::make_shared<SilentPeer>(peer);
	}
};

}  // namespace

TorrentPluginFactory silent_peers_plugin()
{
	return [](lt::torrent_handle const&, lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
		return std::make_shared<SilentPeersTorrent>();
	};
}

}  // namespace ezio::swarm
