#include "daemon/alert_handler.hpp"

#include <boost/asio/error.hpp>
#include <algorithm>
#include <climits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_stats.hpp>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_status.hpp>
#include <spdlog/spdlog.h>

#include "api/torrent_phase.hpp"
#include "common/hex.hpp"
#include "storage/engine.hpp"
#include "swarm/peer_rules.hpp"

namespace ezio::daemon {

namespace {

// A disk error as the person who added the torrent can act on it: in -F
// mode the path they named rather than the fence's mount, and the link
// that a refused lookup (ELOOP) ran into.
std::string describe_file_error(lt::file_error_alert const& alert, FencedDir const* fenced, std::string const& save_path)
{
	std::string path = alert.filename();
	std::string cause = alert.error.message();
	if (fenced != nullptr && path.rfind(fenced->path() + "/", 0) == 0) {
		// Only the failing file's own folders are looked at.
		std::string const relative = path.substr(fenced->path().size() + 1);
		path = save_path + "/" + relative;
		if (alert.error == boost::system::errc::too_many_symbolic_link_levels)
			if (auto const link = first_link_on_path(fenced->path(), relative))
				cause = fmt::format("'{}/{}' is a symbolic link, and -F mode never follows a link below its target "
					"directory", save_path, *link);
	}
	return fmt::format("{} of '{}' failed: {}", lt::operation_name(alert.op), path, cause);
}

// What a seed whose pieces did not all pass their hash says: which pieces
// and files, and how to mend it. Empty if it has every piece.
std::string describe_damage(lt::torrent_info const& ti, lt::typed_bitfield<lt::piece_index_t> const& have,
	std::string const& save_path)
{
	std::vector<std::string> named;
	int missing = 0;
	for (lt::piece_index_t const p : ti.piece_range()) {
		if (have.size() > static_cast<int>(p) && have.get_bit(p)) continue;
		if (++missing > 3) continue;
		auto const slices = ti.files().map_block(p, 0, std::min(ti.piece_size(p), 1));
		std::string const file = slices.empty() ? std::string("?") : ti.files().file_path(slices[0].file_index, save_path);
		named.push_back(fmt::format("piece {} ('{}')", static_cast<int>(p), file));
	}
	if (missing == 0) return {};
	return fmt::format("the data it seeds is damaged: {} of {} pieces {} not match their hashes and {} not served "
		"({}{}); make the data again (a chunk store: ezioctl create --chunked --store), then restart ezio and add "
		"the torrent again",
		missing, ti.num_pieces(), missing == 1 ? "does" : "do", missing == 1 ? "is" : "are", fmt::join(named, ", "),
		missing > 3 ? fmt::format(", and {} more", missing - 3) : "");
}

}  // namespace

AlertHandler::AlertHandler(Parts parts) : m_parts(std::move(parts))
{
	if (m_parts.options.slow_start) m_slow_start.emplace(std::chrono::seconds(m_parts.options.slow_start_period));
}

void AlertHandler::start_ramp()
{
	MutexLock lock(m_ramp_mutex);
	if (m_slow_start && !m_ramp_start) m_ramp_start = Clock::now();
}

AlertHandler::Clock::duration AlertHandler::until_next_task()
{
	MutexLock lock(m_ramp_mutex);
	if (!m_slow_start || !m_ramp_start) return Clock::duration::max();
	return m_slow_start->next_change_after(Clock::now() - *m_ramp_start);
}

void AlertHandler::after_alerts()
{
	m_parts.torrents.pause_pending();
	update_upload_limit();
	m_parts.durability.tick(Clock::now());
	log_budget_pressure();
	once_a_second();
}

void AlertHandler::once_a_second()
{
	// The loop runs on every batch of alerts, many times a second while
	// pieces arrive; the torrents' status is asked for once a second.
	auto const now = Clock::now();
	if (now - m_last_tick < std::chrono::seconds(1)) return;
	m_last_tick = now;
	std::vector<lt::torrent_status> const statuses = m_parts.session.get_torrent_status(
		[](lt::torrent_status const&) { return true; }, lt::torrent_handle::status_flags_t{});
	if (m_parts.companions != nullptr) m_parts.companions->once_a_second(statuses);
	for (lt::torrent_status const& st : statuses) {
		std::shared_ptr<swarm::TorrentPeers> peers;
		m_parts.torrents.with(st.info_hashes.v1, [&](TorrentRecord const& r) { peers = r.peers; });
		// Outside the table's lock: a stall asks libtorrent for its peers,
		// which waits for the network thread. A torrent that failed is
		// paused.
		// One held while its companion writes the target (upload mode) is not
		// stalled.
		bool const wants_data = st.state == lt::torrent_status::downloading
			&& !(st.flags & (lt::torrent_flags::paused | lt::torrent_flags::upload_mode)) && !st.errc;
		if (peers) peers->once_a_second(wants_data, st.total_payload_download, now);
	}
	log_status_periodically(now);
}

void AlertHandler::log_status_periodically(Clock::time_point now)
{
	if (m_parts.options.status_interval <= 0 || now - m_last_status_log < std::chrono::seconds(m_parts.options.status_interval))
		return;
	double const seconds_since = std::chrono::duration<double>(now - m_last_status_log).count();
	m_last_status_log = now;
	std::vector<api::TorrentStatus> const torrents = m_parts.statuses();
	auto const mib = [](double bytes) { return bytes / (1 << 20); };
	std::unordered_map<std::string, Totals> totals;
	for (api::TorrentStatus const& t : torrents) {
		// A torrent not seen at the last line counts from zero: its totals
		// are this session's, and it was added since.
		auto const seen = m_logged_totals.find(t.hash);
		Totals const before = seen == m_logged_totals.end() ? Totals{} : seen->second;
		Totals const after{t.total_payload_download, t.total_payload_upload};
		totals[t.hash] = after;
		double const down = double(std::max<std::int64_t>(after.down - before.down, 0)) / seconds_since;
		double const up = double(std::max<std::int64_t>(after.up - before.up, 0)) / seconds_since;
		std::string eta;
		if (std::int64_t const eta_s = api::eta_seconds(t); eta_s >= 0) eta = fmt::format(", ETA {} s", eta_s);
		spdlog::info("torrent {} '{}': {} {:.1f}% ({}/{} pieces), down {:.1f} MiB/s, up {:.1f} MiB/s, {} peer{}{}{}",
			t.hash, t.name, api::torrent_phase(t), 100 * t.progress, t.num_pieces, t.pieces_total, mib(down), mib(up),
			t.num_peers, t.num_peers == 1 ? "" : "s", eta, t.error.empty() ? "" : ": " + t.error);
	}
	m_logged_totals = std::move(totals);
}

void AlertHandler::log_budget_pressure()
{
	if (m_parts.engine == nullptr) return;
	std::int64_t const events = m_parts.engine->stats().backpressure_events.load(std::memory_order_relaxed);
	auto const now = std::chrono::steady_clock::now();
	// At most one line per 10 s: under pressure this would fire per block.
	if (events == m_backpressure_seen || now - m_last_pressure_log < std::chrono::seconds(10)) return;
	spdlog::warn("memory budget full ({} MiB): peers waited for the disk {} times since the last report; a larger "
		"--cache-size or a faster target helps", m_parts.engine->budget() >> 20, events - m_backpressure_seen);
	m_backpressure_seen = events;
	m_last_pressure_log = now;
}

void AlertHandler::handle(lt::alert const* a)
{
	if (m_parts.companions != nullptr && m_parts.companions->handle(a)) return;
	if (auto const* finished = lt::alert_cast<lt::torrent_finished_alert>(a)) {
		m_parts.durability.finished(finished->handle.info_hashes().v1);
	} else if (auto const* checked = lt::alert_cast<lt::torrent_checked_alert>(a)) {
		on_torrent_checked(checked->handle);
	} else if (auto const* file_error = lt::alert_cast<lt::file_error_alert>(a);
			   file_error != nullptr && file_error->error == boost::asio::error::operation_aborted) {
		// A read the engine declined (a chunk it cannot make as the torrent
		// says; it said why once): the request is rejected, nothing failed.
		spdlog::debug("{}", a->message());
	} else if (file_error != nullptr) {
		// The file system is looked at outside the table's lock.
		lt::sha1_hash const info_hash = file_error->handle.info_hashes().v1;
		std::shared_ptr<FencedDir const> fenced;
		std::string save_path;
		m_parts.torrents.with(info_hash, [&](TorrentRecord const& r) {
			fenced = r.fenced;
			save_path = r.save_path;
		});
		std::string message = describe_file_error(*file_error, fenced.get(), save_path);
		spdlog::error("torrent '{}': {}", file_error->torrent_name(), message);
		m_parts.torrents.with(info_hash, [&](TorrentRecord& r) { r.file_error = std::move(message); });
	} else if (lt::alert_cast<lt::torrent_error_alert>(a) || lt::alert_cast<lt::listen_failed_alert>(a)
		|| (lt::alert_cast<lt::add_torrent_alert>(a) && static_cast<lt::add_torrent_alert const*>(a)->error)) {
		spdlog::error("{}", a->message());
	} else if (auto const* failed = lt::alert_cast<lt::hash_failed_alert>(a)) {
		spdlog::warn("{}", a->message());  // a peer sent corrupt data
		on_hash_failed(failed->handle, failed->piece_index);
	} else if (auto const* ban = lt::alert_cast<lt::peer_ban_alert>(a)) {
		spdlog::warn("{}", a->message());
		m_parts.torrents.with(ban->handle.info_hashes().v1, [&](TorrentRecord& r) {
			if (r.banned.size() < 8)
				r.banned.push_back(fmt::format("{}:{}", ban->endpoint.address().to_string(), ban->endpoint.port()));
		});
	} else if (lt::alert_cast<lt::listen_succeeded_alert>(a)) {
		spdlog::info("{}", a->message());
	} else if (lt::alert_cast<lt::session_stats_alert>(a)) {
		on_session_stats(a);
	} else if (auto const* piece = lt::alert_cast<lt::piece_finished_alert>(a)) {
		spdlog::debug("{}", a->message());
		m_parts.torrents.with(piece->handle.info_hashes().v1, [&](TorrentRecord& r) {
			if (r.hash_failures.erase(piece->piece_index) != 0 && r.hash_failures.empty()) r.warning.clear();
		});
		m_parts.durability.piece_done(piece->handle.info_hashes().v1);
	} else if (auto const* resume = lt::alert_cast<lt::save_resume_data_alert>(a)) {
		m_parts.durability.resume_data(resume->params.info_hashes.v1, resume->params);
	} else if (auto const* no_resume = lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
		spdlog::debug("{}", a->message());
		m_parts.durability.resume_failed(no_resume->handle.info_hashes().v1);
	} else if (lt::alert_cast<lt::performance_alert>(a)) {
		spdlog::warn("{}", a->message());
	} else {
		spdlog::debug("{}", a->message());
	}
}

void AlertHandler::on_hash_failed(lt::torrent_handle const& handle, lt::piece_index_t piece)
{
	// Which peers have the piece, asked only when a piece fails (rare).
	std::vector<lt::peer_info> peers;
	handle.get_peer_info(peers);
	std::vector<std::string> holders;
	for (lt::peer_info const& p : peers)
		if (p.pieces.size() > static_cast<int>(piece) && p.pieces.get_bit(piece))
			holders.push_back(fmt::format("{}:{}", p.ip.address().to_string(), p.ip.port()));
	m_parts.torrents.with(handle.info_hashes().v1, [&](TorrentRecord& r) {
		int const failures = ++r.hash_failures[piece];
		if (!holders.empty() && failures < hash_failures_to_warn) return;
		std::string warning = piece_warning(piece, failures, holders, r.banned);
		if (r.warning.empty()) spdlog::warn("torrent '{}': {}", r.name, warning);
		r.warning = std::move(warning);
	});
}

void AlertHandler::on_torrent_checked(lt::torrent_handle const& handle)
{
	lt::sha1_hash const info_hash = handle.info_hashes().v1;
	int claimed = 0;
	std::string name;
	bool seed = false;
	m_parts.torrents.with(info_hash, [&](TorrentRecord& r) {
		claimed = std::exchange(r.claims_to_verify, 0);
		name = r.name;
		seed = !r.writes_target;
	});
	if (seed) {
		// A -F seed is checked only when a piece failed its hash on its
		// first read (seed mode then checks every piece): its data is damaged.
		lt::torrent_status const st = handle.status(lt::torrent_handle::query_pieces);
		m_parts.torrents.with(info_hash, [&](TorrentRecord& r) {
			if (!r.info || !r.damage.empty()) return;
			r.damage = describe_damage(*r.info, st.pieces, r.save_path);
			if (!r.damage.empty()) spdlog::error("torrent {} '{}': {}", to_hex(info_hash), name, r.damage);
		});
		return;
	}
	if (claimed == 0) return;
	int const verified = handle.status(lt::torrent_handle::status_flags_t{}).num_pieces;
	spdlog::log(verified < claimed ? spdlog::level::warn : spdlog::level::info,
		"torrent {} '{}': {} of the {} pieces its resume record claimed are on the target", to_hex(info_hash), name,
		verified, claimed);
}

void AlertHandler::log_session_stats()
{
	{
		MutexLock lock(m_stats_mutex);
		m_stats_logged = false;
	}
	m_parts.session.post_session_stats();
	MutexLock lock(m_stats_mutex);
	auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
	while (!m_stats_logged && m_stats_logged_wake.wait_until(lock, deadline)) {
	}
}

void AlertHandler::on_session_stats(lt::alert const* a)
{
	auto const* stats = static_cast<lt::session_stats_alert const*>(a);
	auto const counters = stats->counters();
	auto const value = [&](char const* name) -> std::int64_t {
		int const index = lt::find_metric_idx(name);
		return index < 0 ? -1 : counters[index];
	};
	// One line with fixed names: the benchmarks read it.
	spdlog::info("disk stats: write_ops={} blocks_written={} read_ops={} blocks_read={} blocks_hashed={} "
		"write_time_us={} read_time_us={} hash_time_us={}",
		value("disk.num_write_ops"), value("disk.num_blocks_written"), value("disk.num_read_ops"),
		value("disk.num_blocks_read"), value("disk.num_blocks_hashed"), value("disk.disk_write_time"),
		value("disk.disk_read_time"), value("disk.disk_hash_time"));
	{
		MutexLock lock(m_stats_mutex);
		m_stats_logged = true;
	}
	m_stats_logged_wake.notify_all();
}

void AlertHandler::update_upload_limit()
{
	std::int64_t const user = std::int64_t(m_parts.options.upload_rate_limit_mib * 1024 * 1024);
	std::int64_t ramp = 0;
	if (m_slow_start) {
		MutexLock lock(m_ramp_mutex);
		ramp = m_ramp_start ? m_slow_start->limit_at(std::chrono::steady_clock::now() - *m_ramp_start)
			: SlowStart::step_bytes;
	}
	std::int64_t const limit = std::min<std::int64_t>(combine_limits(user, ramp), INT_MAX);
	if (limit == m_upload_limit) return;
	lt::settings_pack pack;
	pack.set_int(lt::settings_pack::upload_rate_limit, int(limit));
	m_parts.session.apply_settings(std::move(pack));
	m_upload_limit = limit;
	if (limit == 0) spdlog::info("upload rate: unlimited");
	else spdlog::info("upload rate limit: {:.1f} MiB/s", double(limit) / (1 << 20));
}

}  // namespace ezio::daemon
