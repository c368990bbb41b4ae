// The durable finish: the product's main promise. A torrent that writes its
// target counts as finished only once every piece passed its hash, a sync
// of the target begun after that succeeded, and (with a state directory)
// its durable resume record was written after that sync. While it
// downloads, its progress is recorded: a volatile record after every
// finished piece, a durable one every 30 s and at shutdown (docs/resume.md,
// docs/architecture.md "The durable finish").
//
// Durability owns all of it: per torrent its FinishGate and ResumeRequests,
// the ResumeStore the records go to, and the serial worker on which every
// sync starts and its outcome is handled (never the alert thread or a gRPC
// thread, which would wait for an fdatasync of gigabytes). It reaches out
// through two ports only: the session (ask for resume data; stop a failed
// torrent) and the target (sync it; read its write stamp). The daemon
// forwards libtorrent's alerts to it; its rules are unit-tested through fake
// ports (tests/daemon/durability_test.cpp).
//
// Threads: every public method may be called from any thread. The state is
// under m_mutex; the ports are called outside it, so a port may take other
// locks (the torrent table's) freely.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "common/env.hpp"
#include "common/expected.hpp"
#include "common/mutex.hpp"
#include "common/serial_worker.hpp"
#include "daemon/finish_gate.hpp"
#include "daemon/resume_requests.hpp"
#include "daemon/resume_store.hpp"

namespace ezio::daemon {

// The session as the durable finish needs it.
class SessionPort {
public:
	virtual ~SessionPort() = default;
	// Asks libtorrent for the torrent's resume data; the answer comes back
	// as Durability::resume_data or resume_failed. Must not block.
	virtual void ask_resume_data(lt::sha1_hash const& info_hash) = 0;
	// The torrent failed: pause it. Must not block (called on the worker).
	virtual void stop(lt::sha1_hash const& info_hash) = 0;
};

// The torrent's target as the durable finish needs it.
class TargetPort {
public:
	virtual ~TargetPort() = default;
	// Makes everything written to the torrent's target durable, and calls
	// `done` exactly once with the outcome, on any thread (or at once).
	// Called on the worker.
	virtual void sync(lt::sha1_hash const& info_hash, std::function<void(Status const&)> done) = 0;
	// The target's write stamp now (daemon/target_stamp.hpp); empty when
	// unknown, which matches nothing.
	virtual std::string stamp(lt::sha1_hash const& info_hash) = 0;
};

class Durability {
public:
	using Clock = std::chrono::steady_clock;

	// Records go to `state_dir` (empty: none are kept, and the finishing
	// sync runs without one). Throws as ResumeStore does when another
	// daemon holds the directory.
	Durability(std::string const& state_dir, SessionPort& session, TargetPort& target, Env& env = Env::system());
	// Runs what the worker holds, as stop() does.
	~Durability();
	Durability(Durability const&) = delete;
	Durability& operator=(Durability const&) = delete;

	// The records on disk (Admission reads claims and claims targets).
	ResumeStore& store() { return m_store; }
	ResumeStore const& store() const { return m_store; }

	// AddTorrent registered a torrent. A seed writes nothing and is durable
	// from the start. If libtorrent said it finished before this (a target
	// complete from its record), its finish begins now.
	void add(lt::sha1_hash const& info_hash, std::string const& name, TargetKey const& key, bool writes_target);

	// libtorrent's events, forwarded by the alert thread.
	void finished(lt::sha1_hash const& info_hash);  // every piece passed its hash
	void piece_done(lt::sha1_hash const& info_hash);  // one more: a volatile record
	void resume_data(lt::sha1_hash const& info_hash, lt::add_torrent_params const& params);
	void resume_failed(lt::sha1_hash const& info_hash);
	// After each batch of alerts: a durable record for each downloading
	// torrent that had none for ResumeRequests::periodic_interval.
	void tick(Clock::time_point now);

	// The user resumes a torrent. If its last sync had failed it starts
	// over (nothing it wrote counts); returns whether it does.
	bool restart(lt::sha1_hash const& info_hash);

	// Every torrent's gate, for the status (a copy: the status is built
	// without this unit's lock).
	std::map<lt::sha1_hash, FinishGate> gates() const;

	// At shutdown, with the torrents paused: a durable record for every
	// torrent that writes its target. Returns whether all were written by
	// `deadline`.
	bool save_all(Clock::time_point deadline);

	// Runs every task the worker holds (the engine hands over sync outcomes
	// until the session is gone, so this comes after it), then no port is
	// called again. Idempotent.
	void stop();

private:
	struct Torrent {
		std::string name;  // for the log
		TargetKey key;
		bool writes_target = false;
		FinishGate gate;
		ResumeRequests resume;
	};

	// Asks for a record when ResumeRequests says so. Returns whether the
	// session is to be asked (outside the lock).
	bool want_record(Torrent& t, bool durable) EZIO_REQUIRES(m_mutex);
	void ask(lt::sha1_hash const& info_hash);
	void begin_finish(lt::sha1_hash const& info_hash);
	// Syncs the target on the worker, then runs `then` there.
	void sync_then(lt::sha1_hash const& info_hash, std::function<void(Status const&)> then);
	void finishing_synced(lt::sha1_hash const& info_hash, Status const& synced);
	void fail(lt::sha1_hash const& info_hash, std::string const& error);
	// The save in flight is over (record written, or not): asks again if
	// progress waited for it.
	void record_done(lt::sha1_hash const& info_hash);

	SessionPort& m_session;
	TargetPort& m_target;
	ResumeStore m_store;

	mutable Mutex m_mutex;
	std::map<lt::sha1_hash, Torrent> m_torrents EZIO_GUARDED_BY(m_mutex);
	// Finished before add(): the finish begins at add().
	std::set<lt::sha1_hash> m_finished_early EZIO_GUARDED_BY(m_mutex);
	bool m_stopped EZIO_GUARDED_BY(m_mutex) = false;
	CondVar m_record_done;

	SerialWorker m_worker;  // last: its tasks use everything above
};

}  // namespace ezio::daemon
