#include "daemon/torrent_table.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/hex.hpp"

namespace ezio::daemon {

namespace {

std::int64_t seconds_since(lt::clock_type::time_point when, lt::clock_type::time_point now)
{
	if (when == lt::clock_type::time_point()) return -1;
	return std::chrono::duration_cast<std::chrono::seconds>(now - when).count();
}

// libtorrent's own error, before the file_error_alert that names the
// operation is handled (the alert thread may lag a status call by
// milliseconds): the failing file, if the status names one, and the cause.
std::string status_error(lt::torrent_status const& st, TorrentRecord const& record)
{
	int const file = static_cast<int>(st.error_file);
	if (!record.info || file < 0 || file >= record.info->num_files()) return st.errc.message();
	std::string const base = record.save_path.empty() ? st.save_path : record.save_path;
	return fmt::format("'{}' failed: {}", record.info->files().file_path(lt::file_index_t(file), base),
		st.errc.message());
}

}  // namespace

std::string piece_warning(lt::piece_index_t piece, int failures, std::vector<std::string> const& holders,
	std::vector<std::string> const& banned)
{
	std::string const who = holders.empty() ? std::string("no connected peer has it now")
		: holders.size() == 1 ? fmt::format("the only connected peer that has it is {}", holders[0])
		: fmt::format("the connected peers that have it are {}", fmt::join(holders, ", "));
	std::string const bans = banned.empty() ? std::string()
		: fmt::format("; banned for sending bad data: {}", fmt::join(banned, ", "));
	return fmt::format("piece {} failed its hash {} time{}; {}{}", static_cast<int>(piece), failures,
		failures == 1 ? "" : "s", who, bans);
}

api::TorrentStatus make_status(lt::torrent_status const& st, TorrentRecord const* record, FinishGate const* gate,
	lt::clock_type::time_point now)
{
	api::TorrentStatus t;
	t.hash = to_hex(st.info_hashes.v1);
	t.name = st.name;
	t.progress = st.progress;
	t.download_rate = st.download_payload_rate;
	t.upload_rate = st.upload_payload_rate;
	t.active_time = st.active_duration.count();
	t.num_peers = st.num_peers;
	t.state = static_cast<api::TorrentState>(st.state);
	t.total_done = st.total_done;
	t.total = st.total_wanted;
	t.num_pieces = st.num_pieces;
	t.finished_time = st.finished_duration.count();
	t.seeding_time = st.seeding_duration.count();
	t.total_payload_download = st.total_payload_download;
	t.total_payload_upload = st.total_payload_upload;
	t.is_paused = bool(st.flags & lt::torrent_flags::paused);
	t.save_path = st.save_path;
	t.last_upload = seconds_since(st.last_upload, now);
	t.last_download = seconds_since(st.last_download, now);
	if (record != nullptr) {
		if (!record->save_path.empty()) t.save_path = record->save_path;
		t.pieces_total = record->info ? record->info->num_pieces() : 0;
		if (gate != nullptr && gate->failed()) t.error = gate->error();
		else if (st.errc) t.error = !record->file_error.empty() ? record->file_error : status_error(st, *record);
		else if (!record->damage.empty()) t.error = record->damage;
		t.warning = record->warning;
	}
	// Every piece, not every wanted one: finished means the whole image,
	// verified and synced, and no torrent the daemon does not know is.
	t.is_finished = record != nullptr && gate != nullptr && gate->finished(st.is_seeding) && t.error.empty();
	t.disk_done = t.total_done;
	t.disk_total = t.total;
	if (record != nullptr && record->chunks) {
		chunk::Layout const& layout = *record->chunks;
		t.chunked = true;
		t.disk_total = layout.raw_bytes();
		t.disk_done = 0;
		for (std::size_t k = 0; k < layout.chunks.size(); ++k)
			if (int(k) < st.pieces.size() && st.pieces.get_bit(lt::piece_index_t{int(k)}))
				t.disk_done += layout.chunks[k].raw_length;
	}
	return t;
}

Status TorrentTable::begin_add(lt::sha1_hash const& info_hash, std::string const& name)
{
	MutexLock lock(m_mutex);
	if (m_torrents.count(info_hash) != 0)
		return Error{fmt::format("torrent {} ('{}') is already added", to_hex(info_hash), name), Errc::already_exists};
	m_being_added = info_hash;
	return Ok{};
}

void TorrentTable::abort_add()
{
	MutexLock lock(m_mutex);
	m_being_added.clear();
}

void TorrentTable::finish_add(lt::sha1_hash const& info_hash, TorrentRecord record)
{
	MutexLock lock(m_mutex);
	m_torrents[info_hash] = std::move(record);
	m_being_added.clear();
}

bool TorrentTable::has(lt::sha1_hash const& info_hash) const
{
	MutexLock lock(m_mutex);
	return m_torrents.count(info_hash) != 0 || m_being_added == info_hash;
}

std::vector<api::TorrentStatus> TorrentTable::status(std::vector<lt::torrent_status> const& statuses,
	std::vector<std::string> const& hashes, std::map<lt::sha1_hash, FinishGate> const& gates,
	std::map<lt::sha1_hash, StandIn> const& stand_ins)
{
	std::set<lt::sha1_hash> wanted;
	for (std::string const& h : hashes)
		if (auto const parsed = parse_sha1_hex(h)) wanted.insert(*parsed);
	auto const now = lt::clock_type::now();
	std::map<lt::sha1_hash, lt::torrent_status const*> by_hash;
	for (lt::torrent_status const& st : statuses) by_hash[st.info_hashes.v1] = &st;
	std::vector<api::TorrentStatus> result;
	MutexLock lock(m_mutex);
	for (lt::torrent_status const& st : statuses) {
		lt::sha1_hash const info_hash = st.info_hashes.v1;
		if (!hashes.empty() && wanted.count(info_hash) == 0) continue;
		auto const it = m_torrents.find(info_hash);
		// A companion has no record: it is its torrent's business, not the
		// control plane's (a torrent being added has none yet either).
		if (it == m_torrents.end() && info_hash != m_being_added) continue;
		auto const gate = gates.find(info_hash);
		lt::torrent_status shown = st;
		if (auto const stand_in = stand_ins.find(info_hash); stand_in != stand_ins.end()) {
			if (auto const c = by_hash.find(stand_in->second.companion); c != by_hash.end()) {
				shown.total_payload_upload += c->second->total_payload_upload;
				shown.upload_payload_rate += c->second->upload_payload_rate;
				shown.last_upload = std::max(shown.last_upload, c->second->last_upload);
				if (stand_in->second.writing) {
					shown.progress = c->second->progress;
					shown.progress_ppm = c->second->progress_ppm;
					shown.download_payload_rate = c->second->download_payload_rate;
					shown.total_payload_download = c->second->total_payload_download;
					shown.num_peers = c->second->num_peers;
					shown.num_seeds = c->second->num_seeds;
				}
			}
		}
		result.push_back(make_status(shown, it == m_torrents.end() ? nullptr : &it->second,
			gate == gates.end() ? nullptr : &gate->second, now));
	}
	return result;
}

void TorrentTable::pause_later(lt::sha1_hash const& info_hash)
{
	MutexLock lock(m_mutex);
	m_to_pause.push_back(info_hash);
}

void TorrentTable::pause_pending()
{
	MutexLock lock(m_mutex);
	auto pause = [](TorrentRecord& r) { r.handle.pause(); };
	for (auto const& h : m_to_pause) run_on(h, pause);
	m_to_pause.clear();
}

}  // namespace ezio::daemon
