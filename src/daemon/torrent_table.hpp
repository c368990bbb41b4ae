// The daemon's torrents: what it knows about each one beside libtorrent
// (its target, its errors and warnings, its peer rules), and the step of
// adding one. The durable finish's state is Durability's.
//
// Threads: any. One mutex guards the table; callers reach a record only
// inside with() or for_each(), under it. Callbacks must not call back into
// the table, and may call libtorrent only through a torrent_handle's
// asynchronous methods (which post to the network thread and return).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/socket.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "api/controller.hpp"
#include "chunk/layout.hpp"
#include "common/expected.hpp"
#include "common/mutex.hpp"
#include "daemon/file_fence.hpp"
#include "daemon/finish_gate.hpp"
#include "swarm/peer_rules.hpp"
#include "storage/target.hpp"

namespace ezio::daemon {

struct TorrentRecord {
	lt::torrent_handle handle;
	std::string name;
	std::shared_ptr<lt::torrent_info const> info;
	std::shared_ptr<chunk::Layout const> chunks;  // a chunked torrent's layout
	// Raw mode: the open target (its identity says which device or file it
	// is), and whether this torrent writes it.
	std::shared_ptr<storage::Target> opened;
	bool writes_target = false;
	// The target as AddTorrent named it (status shows it), and in -F mode
	// the fence libtorrent reaches it through (unmounted with the record).
	std::string save_path;
	std::shared_ptr<FencedDir const> fenced;
	// Where libtorrent reaches the target: the fence's mount, if any.
	std::string io_path() const { return fenced ? fenced->path() : save_path; }
	// The resume record's claims being verified by the start check, if any.
	int claims_to_verify = 0;
	std::string file_error;  // the last disk error libtorrent reported
	// A seed whose data failed its hashes: which pieces and files (shown
	// as the torrent's error).
	std::string damage;
	// Hash failures of pieces it does not have yet, and what status says of
	// the one that failed most (a warning: the torrent goes on).
	std::map<lt::piece_index_t, int> hash_failures;
	std::vector<std::string> banned;  // peers banned for bad data (IP:PORT), the first few
	std::string warning;

	// Its peer rules (named peers, stall recovery); shared so that the
	// alert thread runs them outside the table's lock.
	std::shared_ptr<swarm::TorrentPeers> peers;
};

// A piece that failed its hash is a warning once no connected peer has it
// (libtorrent bans a peer that alone sent a failed piece), or once it
// failed this many times.
inline constexpr int hash_failures_to_warn = 3;

// The warning for `piece`, which failed its hash `failures` times, which
// the peers `holders` have, and the peers banned for bad data (IP:PORT).
// Pure.
std::string piece_warning(lt::piece_index_t piece, int failures, std::vector<std::string> const& holders,
	std::vector<std::string> const& banned);

// The control plane's view of a torrent: libtorrent's status, with the
// daemon's record and the torrent's durability gate (null if it has none)
// deciding "finished" and the error. Pure.
api::TorrentStatus make_status(lt::torrent_status const& st, TorrentRecord const* record, FinishGate const* gate,
	lt::clock_type::time_point now);

class TorrentTable {
public:
	// AddTorrent, in three steps (add_torrent is serial: one at a time).
	// Refuses a torrent that is already in the table.
	Status begin_add(lt::sha1_hash const& info_hash, std::string const& name);
	// libtorrent refused it.
	void abort_add();
	// It is in the session: registers its record.
	void finish_add(lt::sha1_hash const& info_hash, TorrentRecord record);

	// Whether the torrent is in the table or being added. Cheap: the
	// tracker asks on every announce.
	bool has(lt::sha1_hash const& info_hash) const;

	// Runs `action` on the torrent's record under the lock. False if the
	// table has no such torrent.
	template <class Action>
	bool with(lt::sha1_hash const& info_hash, Action&& action)
	{
		MutexLock lock(m_mutex);
		return run_on(info_hash, action);
	}
	// Runs `action(info_hash, record)` on every torrent under the lock.
	template <class Action>
	void for_each(Action&& action)
	{
		MutexLock lock(m_mutex);
		for (auto& [hash, record] : m_torrents) action(hash, record);
	}

	// A torrent's companion, as the control plane sees it: what it uploads
	// is the torrent's upload (the lab's watchers pause a torrent by its
	// upload), and while it writes the target its progress, download and
	// peers are the torrent's.
	struct StandIn {
		lt::sha1_hash companion;
		bool writing = false;
	};

	// The control plane's view of the torrents libtorrent reported: those
	// `hashes` names (hex info-hashes; malformed ones name nothing), or
	// every one if `hashes` is empty; `gates` are Durability's. Torrents
	// without a record (companions) are not shown; a torrent with a
	// companion shows it as StandIn says.
	std::vector<api::TorrentStatus> status(std::vector<lt::torrent_status> const& statuses,
		std::vector<std::string> const& hashes, std::map<lt::sha1_hash, FinishGate> const& gates,
		std::map<lt::sha1_hash, StandIn> const& stand_ins = {});

	// A torrent to be paused by the alert thread (which a durability worker
	// must not block on), and the alert thread's call to do it.
	void pause_later(lt::sha1_hash const& info_hash);
	void pause_pending();

private:
	template <class Action>
	bool run_on(lt::sha1_hash const& info_hash, Action& action) EZIO_REQUIRES(m_mutex)
	{
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return false;
		action(it->second);
		return true;
	}

	mutable Mutex m_mutex;
	std::map<lt::sha1_hash, TorrentRecord> m_torrents EZIO_GUARDED_BY(m_mutex);
	std::vector<lt::sha1_hash> m_to_pause EZIO_GUARDED_BY(m_mutex);
	lt::sha1_hash m_being_added EZIO_GUARDED_BY(m_mutex);  // zero: none
};

}  // namespace ezio::daemon
