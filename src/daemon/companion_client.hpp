// The client's half of the companion transfer (docs/format.md, "The
// companion transfer"). A Clonezilla-layout torrent T that this daemon
// writes in raw mode, and that holds no piece yet when a peer
// names its companion C(T):
//
//   1. T is held (upload mode); C's metadata is fetched from the peers
//      that named it (companion_fetch.hpp) and checked against T
//      (torrent::check_companion): anything wrong, and T simply goes on
//      alone;
//   2. C is added on T's own open target, its peers called; this daemon
//      names C in T's handshakes from then on;
//   3. when C is done, T's pieces are hashed on the target through the
//      page cache (Engine::verify_at_next_check, force_recheck) and T
//      leaves upload mode: it fetches whatever did not match and finishes
//      through the durable finish as any torrent does. C keeps seeding for
//      the lab, and is paused with T.
//
// A ride starts only while T holds no piece, so C never rewrites a piece
// T claims. Any failure of C (an error, or stalled: companion_watch.hpp)
// removes it, and once it is gone goes to step 3: what C wrote counts only
// where T's own SHA-1s hold. So a wrong companion can cost time, never
// data.
//
// Threads: once_a_second, handle and set_paused on the alert thread or
// any thread; fetching and adding run on the client's own worker.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <libtorrent/alert.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_status.hpp>

#include "common/mutex.hpp"
#include "common/serial_worker.hpp"
#include "daemon/companion_watch.hpp"
#include "daemon/torrent_table.hpp"
#include "storage/engine.hpp"
#include "storage/target_registry.hpp"

namespace ezio::daemon {

class CompanionClient {
public:
	// A torrent that may ride is added held (upload mode) and waits this
	// long for an advert: the seeder's comes with the first handshake,
	// within a second or two on a LAN. Without the hold, a client once
	// finished T's short last piece within a second of AddTorrent, before
	// the once-a-second tick saw the advert, and then could not ride.
	static constexpr std::chrono::seconds hold_limit{3};
	// T is held while C's metadata comes: within a second or two on a LAN,
	// longer when the first peers to name it have no slot free (the lab's
	// other clients name it too once they have it). T alone would cost far
	// more than the wait.
	static constexpr std::chrono::seconds fetch_limit{15};

	struct Parts {
		lt::session& session;
		storage::TargetRegistry& targets;
		storage::Engine* const& engine;
		TorrentTable& torrents;
	};
	explicit CompanionClient(Parts parts);
	~CompanionClient();
	CompanionClient(CompanionClient const&) = delete;
	CompanionClient& operator=(CompanionClient const&) = delete;

	// Once a second, with every torrent's status: starts rides, calls peers
	// newly heard of, gives up stalled companions.
	void once_a_second(std::vector<lt::torrent_status> const& statuses);
	// An alert about a companion; true if it was one's (the daemon's own
	// handling is not for companions).
	bool handle(lt::alert const* alert);
	// T was just added in upload mode (it writes its target, may have a
	// companion and holds no piece): it is released at the tick after
	// `hold_limit` unless a ride has taken it over, or at the first tick
	// after a peer said it will offer none (T's source has none).
	void hold(lt::sha1_hash const& t, lt::torrent_handle handle, std::shared_ptr<swarm::CompanionLink> link);
	// T was paused or resumed: its companion follows.
	void set_paused(lt::sha1_hash const& t, bool paused);

	// T -> its companion, while it has one (TorrentTable::StandIn).
	std::map<lt::sha1_hash, TorrentTable::StandIn> stand_ins() const;

	// Finishes what the worker is doing and drops the rest.
	void stop();

private:
	enum class Phase { fetching, riding, removing, verifying, done, failed };
	struct Ride {
		Phase phase = Phase::fetching;
		lt::sha1_hash companion;
		std::string label;  // "torrent HASH 'NAME'"
		lt::torrent_handle t;
		lt::torrent_handle c;
		std::shared_ptr<swarm::TorrentPeers> c_peers;
		std::shared_ptr<swarm::CompanionLink> link;
		std::size_t met_called = 0;  // of link->met(), the ones C has called
		std::optional<CompanionWatch> c_watch;  // from when C is added
		std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
	};

	// On the worker: steps 1 and 2.
	void fetch_and_ride(lt::sha1_hash t, TorrentRecord record);
	// Step 3: T's pieces hashed on the target, T released.
	void verify_t(Ride& ride) EZIO_REQUIRES(m_mutex);
	// C failed: it goes (step 3 once it is gone) and is no longer named.
	void give_up(Ride& ride, std::string const& why) EZIO_REQUIRES(m_mutex);
	Ride* ride_of_companion(lt::sha1_hash const& c) EZIO_REQUIRES(m_mutex);

	Parts const m_parts;
	mutable Mutex m_mutex;
	std::map<lt::sha1_hash, Ride> m_rides EZIO_GUARDED_BY(m_mutex);  // by T's info-hash
	struct Held {
		lt::torrent_handle t;
		std::shared_ptr<swarm::CompanionLink> link;
		std::chrono::steady_clock::time_point since;
	};
	std::map<lt::sha1_hash, Held> m_held EZIO_GUARDED_BY(m_mutex);  // by T's info-hash
	// Ts paused now, ride or not: a pause that comes between the tick's
	// scan and its ride, or while C is being added, still holds C.
	std::set<lt::sha1_hash> m_paused EZIO_GUARDED_BY(m_mutex);
	bool m_stopping EZIO_GUARDED_BY(m_mutex) = false;
	std::atomic<bool> m_stop_fetch{false};  // set by stop(); read by the worker's fetch
	SerialWorker m_worker;  // last: stopped first
};

}  // namespace ezio::daemon
