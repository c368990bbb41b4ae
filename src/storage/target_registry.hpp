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

#include <libtorrent/sha1_hash.hpp>

#include "chunk/layout.hpp"
#include "common/mutex.hpp"
#include "storage/target.hpp"

namespace ezio::storage {

// What the engine makes of a torrent's resume data when the torrent starts.
enum class StartCheck {
	trust_record,   // the pieces it names count as they are (none without it)
	verify_record,  // hash the pieces it names; only those that match count
	verify_all,     // hash every piece, and keep the ones that match
};

struct PreparedTarget {
	std::shared_ptr<Target> target;
	StartCheck check = StartCheck::trust_record;
	// A chunked torrent's layout, read and checked at AddTorrent; null for
	// the Clonezilla layout (the engine reads that from the file list).
	std::shared_ptr<chunk::Layout const> chunks;
};

class TargetRegistry {
public:
	void put(lt::sha1_hash const& info_hash, PreparedTarget target);
	// Removes and returns the target for `info_hash` (an empty one if none).
	PreparedTarget take(lt::sha1_hash const& info_hash);

private:
	Mutex m_mutex;
	std::map<lt::sha1_hash, PreparedTarget> m_targets EZIO_GUARDED_BY(m_mutex);
};

}  // namespace ezio::storage
