#include "daemon/companion_client.hpp"

#include <fmt/format.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/extensions/smart_ban.hpp>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "daemon/companion_fetch.hpp"
#include "torrent/companion.hpp"

namespace ezio::daemon {
namespace {

std::string describe(lt::tcp::endpoint const& e)
{
	return fmt::format("{}:{}", e.address().to_string(), e.port());
}

double seconds_since(std::chrono::steady_clock::time_point t)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

CompanionClient::CompanionClient(Parts parts) : m_parts(parts) {}

CompanionClient::~CompanionClient()
{
	stop();
}

void CompanionClient::stop()
{
	{
		MutexLock lock(m_mutex);
		m_stopping = true;
	}
	m_worker.stop();
}

void CompanionClient::once_a_second(std::vector<lt::torrent_status> const& statuses)
{
	auto const now = std::chrono::steady_clock::now();
	std::map<lt::sha1_hash, lt::torrent_status const*> by_hash;
	for (lt::torrent_status const& st : statuses) by_hash[st.info_hashes.v1] = &st;

	MutexLock lock(m_mutex);
	if (m_stopping) return;
	// Rides under way: call the peers heard of since, give up a stalled one.
	for (auto& [t, ride] : m_rides) {
		if (ride.phase != Phase::riding) continue;
		// Every peer of T met since: the EZIO clients among them have C, or
		// will (one without it refuses the call).
		auto const met = ride.link->met();
		for (; ride.met_called < met.size(); ++ride.met_called) ride.c.connect_peer(met[ride.met_called]);
		auto const c = by_hash.find(ride.companion);
		if (c == by_hash.end()) continue;
		// C's own stall recovery, as T's peer rules have it.
		ride.c_peers->once_a_second(c->second->state == lt::torrent_status::downloading
				&& !(c->second->flags & lt::torrent_flags::paused) && !c->second->errc,
			c->second->total_payload_download, now);
		if (c->second->total_wanted_done != ride.c_done) {
			ride.c_done = c->second->total_wanted_done;
			ride.c_moved = now;
		} else if (now - ride.c_moved >= stall_limit) {
			verify_t(ride, fmt::format("no progress for {} s", stall_limit.count()));
		}
	}
	// Torrents that may start one: written here, of the Clonezilla layout,
	// downloading with under a tenth of their data, and told of one.
	for (lt::torrent_status const& st : statuses) {
		lt::sha1_hash const t = st.info_hashes.v1;
		if (m_rides.count(t) || st.state != lt::torrent_status::downloading || (st.flags & lt::torrent_flags::paused)
			|| st.total_wanted_done * 10 > st.total_wanted)
			continue;
		std::optional<TorrentRecord> record;
		m_parts.torrents.with(t, [&](TorrentRecord const& r) {
			if (r.writes_target && !r.chunks && r.opened && r.peers && r.peers->companion()) record = r;
		});
		if (!record) continue;
		auto const heard = record->peers->companion()->heard();
		if (heard.empty()) continue;
		std::vector<lt::tcp::endpoint> peers;
		for (auto const& h : heard)
			if (h.companion == heard.front().companion) peers.push_back(h.peer);
		Ride& ride = m_rides[t];
		ride.companion = heard.front().companion;
		ride.label = record->peers->policy().label;
		ride.t = record->handle;
		ride.link = record->peers->companion();
		ride.met_called = 0;
		// Held from now on: what the seeder sends of T while C's metadata
		// comes is uncompressed.
		ride.t.set_flags(lt::torrent_flags::upload_mode);
		spdlog::info("{}: {} offers its companion {}; fetching its metadata", ride.label, describe(peers.front()),
			to_hex(ride.companion));
		m_worker.post([this, t, record = std::move(*record), peers = std::move(peers)]() mutable {
			fetch_and_ride(t, std::move(record), std::move(peers));
		});
	}
}

void CompanionClient::fetch_and_ride(lt::sha1_hash t, TorrentRecord record, std::vector<lt::tcp::endpoint> peers)
{
	lt::sha1_hash companion;
	std::string label;
	{
		MutexLock lock(m_mutex);
		if (m_stopping) return;
		companion = m_rides[t].companion;
		label = m_rides[t].label;
	}
	auto const fail = [&](std::string const& why) {
		spdlog::info("{}: companion {} not used, the torrent travels as it is: {}", label, to_hex(companion), why);
		record.handle.unset_flags(lt::torrent_flags::upload_mode);
		MutexLock lock(m_mutex);
		m_rides[t].phase = Phase::failed;
	};
	auto const asked = std::chrono::steady_clock::now();
	auto const meta = fetch_companion_metadata(companion, peers, fetch_limit);
	if (!meta) return fail(meta.error());
	spdlog::info("{}: companion {}'s metadata in {:.1f} s", label, to_hex(companion), seconds_since(asked));
	auto const layout = chunk::read_layout(**meta);
	if (!layout) return fail(layout.error());
	if (!layout->has_value()) return fail("it is not a chunked torrent");
	if (auto const fits = torrent::check_companion(**layout, *record.info); !fits) return fail(fits.error());

	// Step 2: C writes T's target (T is held).
	m_parts.targets.put(companion, storage::PreparedTarget{record.opened, storage::StartCheck::trust_record,
		std::make_shared<chunk::Layout const>(std::move(**layout))});
	lt::add_torrent_params params;
	params.ti = std::make_shared<lt::torrent_info>(**meta);
	params.save_path = record.save_path;
	params.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused);
	params.flags |= lt::torrent_flags::duplicate_is_error | lt::torrent_flags::disable_pex;
	swarm::PeerPolicy policy = record.peers->policy();
	policy.peers = peers;
	policy.clonezilla_layout = false;
	policy.label = fmt::format("companion of {}", label);
	auto c_peers = std::make_shared<swarm::TorrentPeers>(policy, params);
	// Other clients of T fetch C's metadata from us too.
	params.extensions.push_back(lt::create_ut_metadata_plugin);

	MutexLock lock(m_mutex);
	Ride& ride = m_rides[t];
	if (m_stopping) return;
	lt::error_code ec;
	lt::torrent_handle c = m_parts.session.add_torrent(std::move(params), ec);
	if (ec) {
		m_parts.targets.take(companion);
		record.handle.unset_flags(lt::torrent_flags::upload_mode);
		spdlog::info("{}: companion {} not used, the torrent travels as it is: libtorrent refused it: {}", label,
			to_hex(companion), ec.message());
		ride.phase = Phase::failed;
		return;
	}
	c_peers->attach(c);
	ride.c = c;
	ride.c_peers = std::move(c_peers);
	ride.c_moved = std::chrono::steady_clock::now();
	ride.phase = Phase::riding;
	// The peers of T met so far are called at the next tick (once_a_second).
	ride.link->offer(companion);
	spdlog::info("{}: fetching it as its companion {} ({} chunks) from {} peer(s); the torrent waits meanwhile", label,
		to_hex(companion), (*meta)->num_pieces(), peers.size());
}

void CompanionClient::verify_t(Ride& ride, std::string const& why)
{
	if (why.empty()) {
		ride.phase = Phase::verifying;
		spdlog::info("{}: companion {} done in {:.1f} s; hashing the torrent's pieces on the target", ride.label,
			to_hex(ride.companion), seconds_since(ride.started));
	} else {
		ride.phase = Phase::failed;
		spdlog::warn("{}: companion {} given up ({}); the torrent goes on alone, keeping what matches its hashes",
			ride.label, to_hex(ride.companion), why);
		m_parts.session.remove_torrent(ride.c);
		ride.c = {};
	}
	if (m_parts.engine != nullptr) m_parts.engine->verify_at_next_check(ride.t.info_hashes().v1);
	ride.t.force_recheck();
	ride.t.unset_flags(lt::torrent_flags::upload_mode);
}

CompanionClient::Ride* CompanionClient::ride_of_companion(lt::sha1_hash const& c)
{
	for (auto& [t, ride] : m_rides)
		if (ride.companion == c && ride.c.is_valid()) return &ride;
	return nullptr;
}

bool CompanionClient::handle(lt::alert const* alert)
{
	auto const* torrent = dynamic_cast<lt::torrent_alert const*>(alert);
	if (torrent == nullptr) return false;
	lt::sha1_hash const hash = torrent->handle.info_hashes().v1;
	if (auto const* checked = lt::alert_cast<lt::torrent_checked_alert>(alert)) {
		std::string label;
		double seconds = 0;
		{
			MutexLock lock(m_mutex);
			auto const it = m_rides.find(hash);
			if (it == m_rides.end() || it->second.phase != Phase::verifying) return false;
			it->second.phase = Phase::done;
			label = it->second.label;
			seconds = seconds_since(it->second.started);
		}
		// Outside the lock: status() waits for the network thread.
		lt::torrent_status const st = checked->handle.status();
		spdlog::info("{}: {} of {} pieces verified on the target after its companion, {:.1f} s after the advert",
			label, st.num_pieces, checked->handle.torrent_file() ? checked->handle.torrent_file()->num_pieces() : 0,
			seconds);
		return false;
	}
	MutexLock lock(m_mutex);
	Ride* ride = ride_of_companion(hash);
	if (ride == nullptr) return false;
	if (lt::alert_cast<lt::torrent_finished_alert>(alert)) {
		if (ride->phase == Phase::riding) verify_t(*ride, {});
	} else if (lt::alert_cast<lt::torrent_error_alert>(alert) || lt::alert_cast<lt::file_error_alert>(alert)) {
		if (ride->phase == Phase::riding) verify_t(*ride, alert->message());
	} else {
		spdlog::debug("{}", alert->message());
	}
	return true;
}

void CompanionClient::pause(lt::sha1_hash const& t)
{
	MutexLock lock(m_mutex);
	if (auto const it = m_rides.find(t); it != m_rides.end() && it->second.c.is_valid()) it->second.c.pause();
}

void CompanionClient::resume(lt::sha1_hash const& t)
{
	MutexLock lock(m_mutex);
	if (auto const it = m_rides.find(t); it != m_rides.end() && it->second.c.is_valid()) it->second.c.resume();
}

std::map<lt::sha1_hash, lt::sha1_hash> CompanionClient::stand_ins() const
{
	MutexLock lock(m_mutex);
	std::map<lt::sha1_hash, lt::sha1_hash> out;
	for (auto const& [t, ride] : m_rides)
		if (ride.phase == Phase::riding) out[t] = ride.companion;
	return out;
}

}  // namespace ezio::daemon
