#include "daemon/companion_client.hpp"

#include <boost/asio/error.hpp>
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
	m_stop_fetch.store(true, std::memory_order_relaxed);  // a fetch under way ends at its next turn
	m_worker.stop();
}

void CompanionClient::once_a_second(std::vector<lt::torrent_status> const& statuses)
{
	auto const now = std::chrono::steady_clock::now();
	std::map<lt::sha1_hash, lt::torrent_status const*> by_hash;
	for (lt::torrent_status const& st : statuses) by_hash[st.info_hashes.v1] = &st;

	// Torrents that may start one: written here, of the Clonezilla layout,
	// downloading, holding no piece yet (C rewrites every extent: a piece T
	// already claims must not change under it), and told of one. Their
	// records are copied before this client's lock is taken: the table's
	// lock is never taken under it.
	std::vector<std::pair<lt::torrent_status const*, TorrentRecord>> candidates;
	for (lt::torrent_status const& st : statuses) {
		if (st.state != lt::torrent_status::downloading || (st.flags & lt::torrent_flags::paused) || st.num_pieces != 0)
			continue;
		m_parts.torrents.with(st.info_hashes.v1, [&](TorrentRecord const& r) {
			if (r.writes_target && !r.chunks && r.opened && r.peers && r.peers->companion()
				&& !r.peers->companion()->heard().empty())
				candidates.emplace_back(&st, r);
		});
	}

	MutexLock lock(m_mutex);
	if (m_stopping) return;
	// Rides under way: call the peers met since, give up a stalled one.
	for (auto& [t, ride] : m_rides) {
		if (ride.phase != Phase::riding) continue;
		// Every peer of T met since: the EZIO clients among them have C, or
		// will (one without it refuses the call).
		auto const met = ride.link->met();
		for (; ride.met_called < met.size(); ++ride.met_called) ride.c.connect_peer(met[ride.met_called]);
		auto const c = by_hash.find(ride.companion);
		if (c == by_hash.end()) continue;
		bool const paused = bool(c->second->flags & lt::torrent_flags::paused);
		// C's own stall recovery, as T's peer rules have it, which calls
		// again only the peers that named C at the start (C has no
		// tracker): every peer of T met so far is called again at the next
		// tick, once the stalled connections are closed. At N=32, 2-3
		// clients a run sat 30 s near their end while peers with the
		// chunks they lacked were known.
		if (ride.c_peers->once_a_second(c->second->state == lt::torrent_status::downloading && !paused
											&& !c->second->errc,
				c->second->total_payload_download, now))
			ride.met_called = 0;
		if (auto const why = ride.c_watch->update(paused, c->second->total_payload_download,
				c->second->total_wanted_done, now))
			give_up(ride, *why);
	}
	for (auto& [st, record] : candidates) {
		lt::sha1_hash const t = st->info_hashes.v1;
		if (m_rides.count(t)) continue;
		Ride& ride = m_rides[t];
		ride.companion = record.peers->companion()->heard().front().companion;
		ride.label = record.peers->policy().label;
		ride.t = record.handle;
		ride.link = record.peers->companion();
		// Held from now on: what the seeder sends of T while C's metadata
		// comes is uncompressed.
		ride.t.set_flags(lt::torrent_flags::upload_mode);
		spdlog::info("{}: {} offers its companion {}; fetching its metadata", ride.label,
			describe(ride.link->naming(ride.companion).front()), to_hex(ride.companion));
		m_worker.post([this, t, record = std::move(record)]() mutable { fetch_and_ride(t, std::move(record)); });
	}
	// Held since AddTorrent: a ride took it over, or it goes on alone.
	for (auto it = m_held.begin(); it != m_held.end();) {
		if (m_rides.count(it->first)) {
			it = m_held.erase(it);
		} else if (bool const declined = it->second.link->declined_by_a_peer();
				   declined || now - it->second.since >= hold_limit || !it->second.t.is_valid()) {
			if (it->second.t.is_valid()) {
				it->second.t.unset_flags(lt::torrent_flags::upload_mode);
				spdlog::info("torrent {}: {}; it travels as it is", to_hex(it->first),
					declined ? "its source offers no companion"
							 : fmt::format("no companion offered within {} s", hold_limit.count()));
			}
			it = m_held.erase(it);
		} else {
			++it;
		}
	}
}

void CompanionClient::hold(lt::sha1_hash const& t, lt::torrent_handle handle, std::shared_ptr<swarm::CompanionLink> link)
{
	MutexLock lock(m_mutex);
	m_held[t] = Held{std::move(handle), std::move(link), std::chrono::steady_clock::now()};
}

void CompanionClient::fetch_and_ride(lt::sha1_hash t, TorrentRecord record)
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
	// The peers of T that name C, as heard so far.
	auto const naming = [link = record.peers->companion(), companion] { return link->naming(companion); };
	auto const asked = std::chrono::steady_clock::now();
	auto const meta = fetch_companion_metadata(companion, naming, fetch_limit, m_stop_fetch);
	if (!meta) return fail(meta.error());
	std::vector<lt::tcp::endpoint> const peers = naming();
	spdlog::info("{}: companion {}'s metadata in {:.1f} s", label, to_hex(companion), seconds_since(asked));
	// What load_torrent refuses in any torrent from outside.
	if ((*meta)->info_hashes().has_v2()) return fail("it is not a v1-only torrent");
	for (lt::piece_index_t const p : (*meta)->piece_range())
		if ((*meta)->hash_for_piece(p).is_all_zeros()) return fail("a piece hash is all zeros");
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
	{
		MutexLock lock(m_mutex);
		if (m_stopping) return;
		if (m_paused.count(t)) params.flags |= lt::torrent_flags::paused;
	}
	swarm::PeerPolicy policy = record.peers->policy();
	policy.peers = peers;
	policy.clonezilla_layout = false;
	policy.label = fmt::format("companion of {}", label);
	auto c_peers = std::make_shared<swarm::TorrentPeers>(policy, params);
	// Other clients of T fetch C's metadata from us too.
	params.extensions.push_back(lt::create_ut_metadata_plugin);
	// Outside the lock: add_torrent waits for the network thread.
	lt::error_code ec;
	lt::torrent_handle c = m_parts.session.add_torrent(std::move(params), ec);
	if (ec) {
		m_parts.targets.take(companion);
		return fail(fmt::format("libtorrent refused it: {}", ec.message()));
	}
	c_peers->attach(c);

	MutexLock lock(m_mutex);
	// Paused while C was being added: C follows.
	if (m_paused.count(t)) c.pause();
	Ride& ride = m_rides[t];
	ride.c = c;
	ride.c_peers = std::move(c_peers);
	ride.c_watch.emplace(std::chrono::steady_clock::now());
	ride.phase = Phase::riding;
	// Other clients hear of C from us; the peers of T met so far are
	// called at the next tick (once_a_second).
	ride.link->offer(companion);
	spdlog::info("{}: fetching it as its companion {} ({} chunks) from {} peer(s); the torrent waits meanwhile", label,
		to_hex(companion), (*meta)->num_pieces(), peers.size());
}

void CompanionClient::verify_t(Ride& ride)
{
	if (m_parts.engine != nullptr) m_parts.engine->verify_at_next_check(ride.t.info_hashes().v1);
	ride.t.force_recheck();
	ride.t.unset_flags(lt::torrent_flags::upload_mode);
}

void CompanionClient::give_up(Ride& ride, std::string const& why)
{
	spdlog::warn("{}: companion {} given up ({}); the torrent goes on alone, keeping what matches its hashes",
		ride.label, to_hex(ride.companion), why);
	ride.phase = Phase::removing;
	ride.link->withdraw();
	// T is hashed once C is gone (torrent_removed_alert): none of C's
	// writes may land after.
	m_parts.session.remove_torrent(ride.c);
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
	if (auto const* removed = lt::alert_cast<lt::torrent_removed_alert>(alert)) {
		for (auto& [t, ride] : m_rides) {
			if (ride.phase != Phase::removing || ride.companion != removed->info_hashes.v1) continue;
			ride.phase = Phase::failed;
			ride.c = {};
			verify_t(ride);
			return true;
		}
		return false;
	}
	Ride* ride = ride_of_companion(hash);
	if (ride == nullptr) return false;
	if (lt::alert_cast<lt::torrent_finished_alert>(alert)) {
		if (ride->phase == Phase::riding) {
			ride->phase = Phase::verifying;
			spdlog::info("{}: companion {} done in {:.1f} s; hashing the torrent's pieces on the target", ride->label,
				to_hex(ride->companion), seconds_since(ride->started));
			verify_t(*ride);
		}
	} else if (auto const* file_error = lt::alert_cast<lt::file_error_alert>(alert);
			   file_error != nullptr && file_error->error == boost::asio::error::operation_aborted) {
		// A chunk the engine declined to serve (it said why once): not C's failure.
		spdlog::debug("{}", alert->message());
	} else if (lt::alert_cast<lt::torrent_error_alert>(alert) || file_error != nullptr) {
		if (ride->phase == Phase::riding) give_up(*ride, alert->message());
	} else {
		spdlog::debug("{}", alert->message());
	}
	return true;
}

void CompanionClient::set_paused(lt::sha1_hash const& t, bool paused)
{
	MutexLock lock(m_mutex);
	if (paused) m_paused.insert(t);
	else m_paused.erase(t);
	auto const it = m_rides.find(t);
	if (it == m_rides.end() || !it->second.c.is_valid()) return;
	if (paused) it->second.c.pause();
	else it->second.c.resume();
}

std::map<lt::sha1_hash, TorrentTable::StandIn> CompanionClient::stand_ins() const
{
	MutexLock lock(m_mutex);
	std::map<lt::sha1_hash, TorrentTable::StandIn> out;
	for (auto const& [t, ride] : m_rides)
		if (ride.c.is_valid()) out[t] = {ride.companion, ride.phase == Phase::riding};
	return out;
}

}  // namespace ezio::daemon
