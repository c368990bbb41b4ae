// The libtorrent side of the companion advert (swarm/companion_advert.hpp),
// for a Clonezilla-layout torrent T: each connection's extension handshake
// names C(T) once the daemon seeds it, and a companion a peer names is
// passed on to the daemon.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <libtorrent/entry.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/socket.hpp>

#include "common/mutex.hpp"
#include "swarm/handout_plugin.hpp"

namespace ezio::swarm {

// Between T's plugin (libtorrent's network thread) and the daemon (any
// thread).
class CompanionLink {
public:
	// From now on, T's handshakes name `companion` (the daemon seeds it).
	// Connections made before keep what they said.
	void offer(lt::sha1_hash const& companion);
	// What T's handshakes say: the companion offered, that none will be,
	// or nothing (the companion is still being made).
	void add_advert(lt::entry& handshake) const;
	// No longer: the companion failed or is gone.
	void withdraw();
	// This daemon, a source of T, will offer none (raw mode, --no-companion,
	// or the making failed): T's handshakes say so, and clients go on at
	// once instead of waiting for an advert.
	void decline();

	// A peer named a companion of T: where it listens, and the hash.
	struct Heard {
		lt::tcp::endpoint peer;
		lt::sha1_hash companion;
		bool operator==(Heard const&) const = default;
	};
	// Keeps the first `max_heard` distinct ones.
	static constexpr std::size_t max_heard = 64;
	void heard(Heard const& heard);
	std::vector<Heard> heard() const;
	// The peers heard naming `companion`, in the order heard.
	std::vector<lt::tcp::endpoint> naming(lt::sha1_hash const& companion) const;
	// A peer said it will offer none: T's source has no companion.
	void heard_decline();
	bool declined_by_a_peer() const;

	// Where each peer of T that sent an extension handshake listens (the
	// first `max_heard`): the peers a client's companion calls, whether
	// or not they named it yet (one without it refuses the call).
	void met(lt::tcp::endpoint const& peer);
	std::vector<lt::tcp::endpoint> met() const;

private:
	mutable Mutex m_mutex;
	std::optional<lt::sha1_hash> m_offered EZIO_GUARDED_BY(m_mutex);
	bool m_declines EZIO_GUARDED_BY(m_mutex) = false;
	bool m_heard_decline EZIO_GUARDED_BY(m_mutex) = false;
	std::vector<Heard> m_heard EZIO_GUARDED_BY(m_mutex);
	std::vector<lt::tcp::endpoint> m_met EZIO_GUARDED_BY(m_mutex);
};

TorrentPluginFactory companion_plugin(std::shared_ptr<CompanionLink> link);

}  // namespace ezio::swarm
