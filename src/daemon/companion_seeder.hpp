// The seeder's half of the companion transfer (docs/format.md, "The
// companion transfer"): for each Clonezilla-layout torrent T that a -F
// daemon seeds from a btzone directory, C(T) is made in the background
// (T is served as it is meanwhile), kept as a chunk store under the state
// directory, seeded with no tracker, and named in T's handshakes.
//
// The cache: <state dir>/companions/<T's info-hash>/, holding
// companion.torrent and the chunk store <T's name>/<16 hex digits>. It is
// made in a directory of its own and renamed into place when whole, so a
// crash leaves no half store; one made by another zstd version is made
// again.
//
// Threads: seed_companion_of and set_paused from any thread; the making
// runs on the seeder's own worker, one torrent at a time. C is added to
// the session from that worker.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>

#include <libtorrent/session.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/mutex.hpp"
#include "common/serial_worker.hpp"
#include "swarm/companion_plugin.hpp"
#include "swarm/peer_rules.hpp"

namespace ezio::daemon {

class CompanionSeeder {
public:
	// `directory`: where the companions are kept (<state dir>/companions).
	CompanionSeeder(lt::session& session, std::string directory);
	~CompanionSeeder();
	CompanionSeeder(CompanionSeeder const&) = delete;
	CompanionSeeder& operator=(CompanionSeeder const&) = delete;

	// T was added as a seed, its bytes in the btzone directory `source`.
	// Makes (or finds) C(T), seeds it with T's peer policy and offers it
	// through `link`. A failure is logged once; T goes on alone.
	void seed_companion_of(std::shared_ptr<lt::torrent_info const> t, std::string source, swarm::PeerPolicy policy,
		std::shared_ptr<swarm::CompanionLink> link);

	// T was paused or resumed: C follows.
	void set_paused(lt::sha1_hash const& t, bool paused);

	// Ends the making under way (at its next read) and drops what is queued.
	void stop();

private:
	struct Seeded {
		lt::torrent_handle handle;
		std::shared_ptr<swarm::TorrentPeers> peers;
	};

	// On the worker.
	void make_and_seed(std::shared_ptr<lt::torrent_info const> const& t, std::string const& source,
		swarm::PeerPolicy policy, std::shared_ptr<swarm::CompanionLink> const& link);

	lt::session& m_session;
	std::string const m_directory;
	Mutex m_mutex;
	std::map<lt::sha1_hash, Seeded> m_seeded EZIO_GUARDED_BY(m_mutex);  // by T's info-hash
	std::set<lt::sha1_hash> m_paused EZIO_GUARDED_BY(m_mutex);  // Ts paused now (C may come later)
	bool m_stopping EZIO_GUARDED_BY(m_mutex) = false;
	std::atomic<bool> m_stop_making{false};  // read by the making's reads
	SerialWorker m_worker;  // last: stopped first
};

}  // namespace ezio::daemon
