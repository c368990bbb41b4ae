// Targets opened and checked before their torrent is added, waiting to be
// picked up by the engine when libtorrent creates the torrent's storage.
//
// Opening happens where a failure can still be reported to whoever added
// the torrent (the RPC), rather than inside libtorrent's network thread; the
// hand-over also keeps the exclusive open of a block device unbroken.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <libtorrent/sha1_hash.hpp>

#include "storage/target.hpp"

namespace ezio::storage {

struct PreparedTarget {
	std::shared_ptr<Target> target;
	// Hash every piece on the target when the torrent starts, and keep the
	// ones that match (a re-deployment without a resume record).
	bool check_existing = false;
};

class TargetRegistry {
public:
	void put(lt::sha1_hash const& info_hash, PreparedTarget target);
	// Removes and returns the target for `info_hash` (an empty one if none).
	PreparedTarget take(lt::sha1_hash const& info_hash);

private:
	std::mutex m_mutex;
	std::map<lt::sha1_hash, PreparedTarget> m_targets;  // guarded by m_mutex
};

}  // namespace ezio::storage
