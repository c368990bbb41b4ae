#include "swarm/companion_plugin.hpp"

#include <algorithm>

#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>

#include "swarm/companion_advert.hpp"

namespace ezio::swarm {

void CompanionLink::offer(lt::sha1_hash const& companion)
{
	MutexLock lock(m_mutex);
	m_offered = companion;
}

void CompanionLink::withdraw()
{
	MutexLock lock(m_mutex);
	m_offered.reset();
}

void CompanionLink::decline()
{
	MutexLock lock(m_mutex);
	m_declines = true;
}

void CompanionLink::add_advert(lt::entry& handshake) const
{
	MutexLock lock(m_mutex);
	if (m_offered) add_companion_advert(handshake, *m_offered);
	else if (m_declines) add_no_companion(handshake);
}

void CompanionLink::heard_decline()
{
	MutexLock lock(m_mutex);
	m_heard_decline = true;
}

bool CompanionLink::declined_by_a_peer() const
{
	MutexLock lock(m_mutex);
	return m_heard_decline;
}

void CompanionLink::heard(Heard const& heard)
{
	MutexLock lock(m_mutex);
	if (m_heard.size() < max_heard && std::find(m_heard.begin(), m_heard.end(), heard) == m_heard.end())
		m_heard.push_back(heard);
}

std::vector<CompanionLink::Heard> CompanionLink::heard() const
{
	MutexLock lock(m_mutex);
	return m_heard;
}

std::vector<lt::tcp::endpoint> CompanionLink::naming(lt::sha1_hash const& companion) const
{
	MutexLock lock(m_mutex);
	std::vector<lt::tcp::endpoint> out;
	for (auto const& h : m_heard)
		if (h.companion == companion) out.push_back(h.peer);
	return out;
}

void CompanionLink::met(lt::tcp::endpoint const& peer)
{
	MutexLock lock(m_mutex);
	if (m_met.size() < max_heard && std::find(m_met.begin(), m_met.end(), peer) == m_met.end()) m_met.push_back(peer);
}

std::vector<lt::tcp::endpoint> CompanionLink::met() const
{
	MutexLock lock(m_mutex);
	return m_met;
}

namespace {

class AdvertPeer final : public lt::peer_plugin {
public:
	AdvertPeer(std::shared_ptr<CompanionLink> link, lt::peer_connection_handle peer)
		: m_link(std::move(link)), m_peer(std::move(peer))
	{}

	lt::string_view type() const override { return "ezio_companion"; }

	void add_handshake(lt::entry& handshake) override
	{
		m_link->add_advert(handshake);
	}

	bool on_extension_handshake(lt::bdecode_node const& handshake) override
	{
		// Where the peer listens: the address we called, or for a peer that
		// called us its handshake's "p" (BEP 10), the port it listens on.
		lt::tcp::endpoint where = m_peer.remote();
		if (!m_peer.is_outgoing()) {
			std::int64_t const port = handshake.dict_find_int_value("p", 0);
			if (port < 1 || port > 65535) return true;
			where.port(std::uint16_t(port));
		}
		m_link->met(where);
		CompanionAdvert const advert = read_companion_advert(handshake);
		if (advert.kind == CompanionAdvert::Kind::offers) m_link->heard({where, advert.companion});
		else if (advert.kind == CompanionAdvert::Kind::declines) m_link->heard_decline();
		return true;
	}

private:
	std::shared_ptr<CompanionLink> const m_link;
	lt::peer_connection_handle const m_peer;
};

class AdvertTorrent final : public lt::torrent_plugin {
public:
	explicit AdvertTorrent(std::shared_ptr<CompanionLink> link) : m_link(std::move(link)) {}

	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const& peer) override
	{
		return std::make_shared<AdvertPeer>(m_link, peer);
	}

private:
	std::shared_ptr<CompanionLink> const m_link;
};

}  // namespace

TorrentPluginFactory companion_plugin(std::shared_ptr<CompanionLink> link)
{
	return [link = std::move(link)](lt::torrent_handle const&, lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
		return std::make_shared<AdvertTorrent>(link);
	};
}

}  // namespace ezio::swarm
