// The connections of one torrent that wait in its spare slot to be judged
// by the room rule (connection_rules): the piece handout serves them
// nothing until then. Under a connection limit libtorrent unchokes every
// connection, and a seeder handed such newcomers a piece or two in the
// second before most of them were closed (docs/architecture.md, "The
// piece handout").
//
// Network thread only: both plugins that use it run there.
#pragma once

#include <algorithm>
#include <vector>

#include <libtorrent/peer_connection_handle.hpp>

namespace ezio::swarm {

class Probation {
public:
	void enter(lt::peer_connection_handle const& peer)
	{
		if (!holds(peer)) m_waiting.push_back(peer);
	}
	void leave(lt::peer_connection_handle const& peer)
	{
		m_waiting.erase(std::remove(m_waiting.begin(), m_waiting.end(), peer), m_waiting.end());
	}
	bool holds(lt::peer_connection_handle const& peer) const
	{
		return std::find(m_waiting.begin(), m_waiting.end(), peer) != m_waiting.end();
	}

private:
	std::vector<lt::peer_connection_handle> m_waiting;  // one or two at a time
};

}  // namespace ezio::swarm
