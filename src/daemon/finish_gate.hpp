// The durability gate of one torrent: when it may be called finished.
//
// libtorrent says "finished" when every piece passed its hash, but on a raw
// target the data may still sit in the page cache, and an EIO may show up
// only at fdatasync. So a torrent that writes its target counts as finished
// only once a sync started after that moment succeeded; a failed sync fails
// it for good (the kernel reports a lost write back once), until the user
// restarts it, which downloads everything again (docs/architecture.md, "The
// durability gate").
//
// Pure: the daemon tells it what happened and does what it says.
// Thread-safety: none; the daemon keeps it in a Record, under m_mutex.
#pragma once

#include <string>
#include <utility>

#include "common/expected.hpp"

namespace ezio::daemon {

class FinishGate {
public:
	// A seed writes nothing: it is durable from the start.
	explicit FinishGate(bool seed = false) : m_durable(seed) {}

	// libtorrent said every piece passed its hash. Returns whether a
	// finishing sync is due now (not for a torrent that has failed).
	bool start_finishing()
	{
		if (failed()) return false;
		m_finishing = true;
		return true;
	}
	// Waiting for the sync that start_finishing asked for.
	bool finishing() const { return m_finishing; }

	// The finishing sync ended (a sync that was not asked for by
	// start_finishing, such as a periodic durable record's, changes nothing:
	// it may have started before the last piece was written).
	void finishing_synced(Status const& outcome)
	{
		if (!m_finishing) return;  // (a failed torrent never is: fail() ends it)
		m_finishing = false;
		if (outcome) m_durable = true;
		else fail(outcome.error());
	}

	// Any sync of the target failed: what libtorrent counts as written may
	// not be on the disk.
	void fail(std::string error)
	{
		m_error = std::move(error);
		m_durable = false;
		m_finishing = false;
	}
	bool failed() const { return !m_error.empty(); }
	std::string const& error() const { return m_error; }

	// Whether the torrent may be reported finished: libtorrent has every
	// piece of it (not just every wanted one), and the target was synced
	// since, without a failure.
	bool finished(bool has_every_piece) const { return has_every_piece && m_durable && !failed(); }

	// The user resumes a torrent. If it had failed, it starts over: nothing
	// it wrote counts until it is downloaded and synced again. Returns
	// whether it had failed.
	bool restart()
	{
		if (!failed()) return false;
		*this = FinishGate(false);
		return true;
	}

private:
	bool m_durable;
	bool m_finishing = false;
	std::string m_error;  // why a sync failed; empty while none has
};

}  // namespace ezio::daemon
