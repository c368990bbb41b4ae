#include "daemon/durability.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"

namespace ezio::daemon {

Durability::Durability(std::string const& state_dir, SessionPort& session, TargetPort& target, Env& env)
	: m_session(session), m_target(target), m_store(state_dir, env)
{
}

Durability::~Durability()
{
	stop();
}

void Durability::stop()
{
	m_worker.stop();
	MutexLock lock(m_mutex);
	m_stopped = true;
}

void Durability::add(lt::sha1_hash const& info_hash, std::string const& name, TargetKey const& key,
	bool writes_target)
{
	bool finished_early = false;
	{
		MutexLock lock(m_mutex);
		Torrent& t = m_torrents[info_hash];
		t.name = name;
		t.key = key;
		t.writes_target = writes_target;
		t.gate = FinishGate(!writes_target);
		t.resume = ResumeRequests(Clock::now());
		finished_early = m_finished_early.erase(info_hash) != 0;
	}
	if (finished_early) finished(info_hash);
}

bool Durability::want_record(Torrent& t, bool durable)
{
	// A failed torrent's progress is not trusted (see fail), and without a
	// store there is nothing to write.
	if (!m_store.enabled() || !t.writes_target || t.gate.failed() || m_stopped) return false;
	return t.resume.want(durable);
}

void Durability::ask(lt::sha1_hash const& info_hash)
{
	m_session.ask_resume_data(info_hash);
}

void Durability::finished(lt::sha1_hash const& info_hash)
{
	bool ask_now = false;
	bool sync_now = false;
	{
		MutexLock lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) {
			m_finished_early.insert(info_hash);  // add() runs the finish
			return;
		}
		Torrent& t = it->second;
		if (!t.writes_target || !t.gate.start_finishing()) return;
		// With records, the durable record's sync is the finishing sync:
		// every piece was written before this event, so a sync started from
		// now on covers them all (see resume_data). One flush barrier and
		// one fdatasync finish a torrent.
		if (m_store.enabled()) {
			ask_now = want_record(t, true);
			// A save already in flight may be volatile, or may have synced
			// before the last piece: the durable one waits for it, and
			// finishes the torrent when it comes.
		} else {
			sync_now = true;
		}
	}
	if (ask_now) ask(info_hash);
	if (sync_now) begin_finish(info_hash);
}

void Durability::begin_finish(lt::sha1_hash const& info_hash)
{
	sync_then(info_hash, [this, info_hash](Status const& synced) { finishing_synced(info_hash, synced); });
}

void Durability::sync_then(lt::sha1_hash const& info_hash, std::function<void(Status const&)> then)
{
	m_worker.post([this, info_hash, then = std::move(then)] {
		m_target.sync(info_hash, [this, then](Status const& synced) {
			// The outcome is handled on the worker, whatever thread the
			// sync ended on (an engine thread must not take our locks while
			// peers wait for the disk).
			m_worker.post([then, synced] { then(synced); });
		});
	});
}

void Durability::piece_done(lt::sha1_hash const& info_hash)
{
	bool ask_now = false;
	{
		MutexLock lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it != m_torrents.end()) ask_now = want_record(it->second, false);
	}
	if (ask_now) ask(info_hash);
}

void Durability::tick(Clock::time_point now)
{
	std::vector<lt::sha1_hash> due;
	{
		MutexLock lock(m_mutex);
		// (want_record skips seeds and failed torrents.)
		for (auto& [hash, t] : m_torrents)
			if (!t.gate.finished(true) && t.resume.periodic_due(now) && want_record(t, true)) due.push_back(hash);
	}
	for (auto const& hash : due) ask(hash);
}

void Durability::resume_data(lt::sha1_hash const& info_hash, lt::add_torrent_params const& params)
{
	bool durable = false;
	bool finishing = false;
	bool failed = false;
	TargetKey key;
	{
		MutexLock lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		Torrent const& t = it->second;
		failed = t.gate.failed();
		durable = t.resume.in_flight_durable();
		finishing = t.gate.finishing();
		key = t.key;
	}
	if (failed) {  // failed meanwhile: its progress is not to be trusted
		record_done(info_hash);
		return;
	}
	spdlog::debug("torrent {}: resume data with {} pieces ({})", to_hex(info_hash), params.have_pieces.count(),
		durable ? "durable" : "volatile");
	// The stamp is taken after the pieces the record names were written (a
	// durable one: after the sync), so a later write by anybody shows.
	if (!durable) {
		if (auto const saved = m_store.save(params, key, m_target.stamp(info_hash), false); !saved)
			spdlog::warn("torrent {}: {}", to_hex(info_hash), saved.error());
		record_done(info_hash);
		return;
	}
	// Durable: the snapshot is taken; once the target is synced, everything
	// it counts as done is on the disk.
	auto snapshot = std::make_shared<lt::add_torrent_params>(params);
	sync_then(info_hash, [this, info_hash, key, snapshot, finishing](Status const& synced) {
		if (synced) {
			if (auto const saved = m_store.save(*snapshot, key, m_target.stamp(info_hash), true); !saved)
				spdlog::warn("torrent {}: {}", to_hex(info_hash), saved.error());
		}
		// The record first, so a client that sees "finished" and stops the
		// daemon finds it on the disk. A failed sync fails the torrent,
		// finishing or not: it lost data that libtorrent counts as written.
		if (finishing || !synced) finishing_synced(info_hash, synced);
		record_done(info_hash);
	});
}

void Durability::resume_failed(lt::sha1_hash const& info_hash)
{
	bool finishing = false;
	{
		MutexLock lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		finishing = it->second.resume.in_flight_durable() && it->second.gate.finishing();
	}
	record_done(info_hash);
	// No record, but the finish still needs its sync.
	if (finishing) begin_finish(info_hash);
}

void Durability::record_done(lt::sha1_hash const& info_hash)
{
	bool ask_now = false;
	{
		MutexLock lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it != m_torrents.end()) {
			std::optional<bool> const waiting = it->second.resume.done(Clock::now());
			// Under the same lock, so save_all never sees a moment with none
			// pending.
			if (waiting) ask_now = want_record(it->second, *waiting);
		}
	}
	m_record_done.notify_all();
	if (ask_now) ask(info_hash);
}

void Durability::finishing_synced(lt::sha1_hash const& info_hash, Status const& synced)
{
	if (!synced) {
		fail(info_hash, synced.error());
		return;
	}
	MutexLock lock(m_mutex);
	auto const it = m_torrents.find(info_hash);
	if (it == m_torrents.end()) return;
	FinishGate& gate = it->second.gate;
	bool const was_finishing = gate.finishing();
	gate.finishing_synced(synced);
	if (was_finishing && gate.finished(true))
		spdlog::info("torrent {} '{}' finished: every piece verified and synced to the target", to_hex(info_hash),
			it->second.name);
}

void Durability::fail(lt::sha1_hash const& info_hash, std::string const& error)
{
	{
		MutexLock lock(m_mutex);
		auto const it = m_torrents.find(info_hash);
		if (it == m_torrents.end()) return;
		it->second.gate.fail(error);
		spdlog::error("torrent {} '{}' failed: {}", to_hex(info_hash), it->second.name, error);
	}
	m_session.stop(info_hash);
	// What this run wrote may not be on the disk: a restart must not trust
	// the volatile record (the durable one predates the failure).
	if (auto const forgotten = m_store.forget(info_hash, false); !forgotten) {
		// It would claim pieces that may not be on the disk, with a stamp
		// that may still match: say so loudly.
		spdlog::error("torrent {}: the volatile resume record must go and cannot: {}; delete it before the next "
			"start", to_hex(info_hash), forgotten.error());
	}
}

bool Durability::restart(lt::sha1_hash const& info_hash)
{
	MutexLock lock(m_mutex);
	auto const it = m_torrents.find(info_hash);
	return it != m_torrents.end() && it->second.gate.restart();
}

std::map<lt::sha1_hash, FinishGate> Durability::gates() const
{
	std::map<lt::sha1_hash, FinishGate> copy;
	MutexLock lock(m_mutex);
	for (auto const& [hash, t] : m_torrents) copy.emplace(hash, t.gate);
	return copy;
}

bool Durability::save_all(Clock::time_point deadline)
{
	std::vector<lt::sha1_hash> asking;
	{
		MutexLock lock(m_mutex);
		for (auto& [hash, t] : m_torrents)
			if (want_record(t, true)) asking.push_back(hash);
	}
	for (auto const& hash : asking) ask(hash);
	MutexLock lock(m_mutex);
	auto const none_pending = [this]() EZIO_REQUIRES(m_mutex) {
		return std::none_of(m_torrents.begin(), m_torrents.end(),
			[](auto const& torrent) { return torrent.second.resume.durable_pending(); });
	};
	bool written = none_pending();
	while (!written && m_record_done.wait_until(lock, deadline)) written = none_pending();
	return written;
}

}  // namespace ezio::daemon
