#include "cli/format.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ezio::cli {

std::string state_name(std::int64_t state)
{
	switch (state) {
	case 1: return "checking";
	case 2: return "metadata";
	case 3: return "downloading";
	case 4: return "finished";
	case 5: return "seeding";
	case 7: return "checking-resume";
	default: return "unknown";
	}
}

std::string human_bytes(double bytes)
{
	char const* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int unit = 0;
	while (bytes >= 1024 && unit < 5) {
		bytes /= 1024;
		++unit;
	}
	return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

std::string human_duration(std::int64_t seconds)
{
	if (seconds < 3600) return fmt::format("{}:{:02}", seconds / 60, seconds % 60);
	return fmt::format("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
}

namespace {

// What a torrent is doing, in a word or a few.
std::string torrent_note(Torrent const& t)
{
	if (!t.error().empty()) return "error: " + t.error();
	if (t.is_finished()) return t.is_paused() ? "finished, paused" : "finished (synced), " + state_name(t.state());
	if (t.is_paused()) return "paused";
	if (!t.warning().empty()) return state_name(t.state()) + "; warning: " + t.warning();
	return state_name(t.state());
}

}  // namespace

std::string watch_line(Torrent const& t)
{
	constexpr int width = 20;
	int const filled = std::clamp(int(t.progress() * width + 0.5), 0, width);
	std::string const bar = std::string(std::size_t(filled), '#') + std::string(std::size_t(width - filled), '.');
	std::string eta = "";
	if (!t.is_finished() && t.download_rate() > 0)
		eta = "ETA " + human_duration((t.total() - t.total_done()) / t.download_rate());
	// libtorrent's rates decay slowly; a paused torrent moves nothing.
	double const down = t.is_paused() ? 0 : double(t.download_rate());
	double const up = t.is_paused() ? 0 : double(t.upload_rate());
	return fmt::format("{:<14} [{}] {:5.1f}%  down {:>10}/s  up {:>10}/s  {:<10} peers {:<3} {}",
		t.name().substr(0, 14), bar, t.progress() * 100, human_bytes(down), human_bytes(up), eta, t.num_peers(),
		torrent_note(t));
}

std::string status_table(UpdateStatus const& status)
{
	std::string out = fmt::format("{:<10} {:<16} {:>7} {:>10} {:>11} {:>11} {:>5}  {}\n", "HASH", "NAME", "DONE",
		"SIZE", "DOWN/s", "UP/s", "PEERS", "STATE");
	for (std::string const& hash : status.hashes()) {
		auto const it = status.torrents().find(hash);
		if (it == status.torrents().end()) continue;
		Torrent const& t = it->second;
		// The size on the target; a chunked torrent's bytes on the wire
		// (compressed) follow its state. A daemon that predates the fields
		// sends no disk_total.
		std::int64_t const size = t.disk_total() > 0 ? t.disk_total() : t.total();
		std::string note = torrent_note(t);
		if (t.chunked()) note += fmt::format(" (chunked: {} on the wire)", human_bytes(double(t.total())));
		out += fmt::format("{:<10} {:<16} {:>6.1f}% {:>10} {:>11} {:>11} {:>5}  {}\n", hash.substr(0, 10),
			t.name().substr(0, 16), t.progress() * 100, human_bytes(double(size)),
			human_bytes(double(t.download_rate())), human_bytes(double(t.upload_rate())), t.num_peers(), note);
	}
	return out;
}

std::string status_json(UpdateStatus const& status)
{
	nlohmann::json list = nlohmann::json::array();
	for (std::string const& hash : status.hashes()) {
		auto const it = status.torrents().find(hash);
		if (it == status.torrents().end()) continue;
		Torrent const& t = it->second;
		list.push_back({{"hash", t.hash()}, {"name", t.name()}, {"progress", t.progress()},
			{"download_rate", t.download_rate()}, {"upload_rate", t.upload_rate()}, {"active_time", t.active_time()},
			{"is_finished", t.is_finished()}, {"num_peers", t.num_peers()}, {"state", state_name(t.state())},
			{"total_done", t.total_done()}, {"total", t.total()}, {"num_pieces", t.num_pieces()},
			{"pieces_total", t.pieces_total()}, {"finished_time", t.finished_time()},
			{"seeding_time", t.seeding_time()}, {"total_payload_download", t.total_payload_download()},
			{"total_payload_upload", t.total_payload_upload()}, {"is_paused", t.is_paused()},
			{"save_path", t.save_path()}, {"last_upload", t.last_upload()}, {"last_download", t.last_download()},
			{"error", t.error()}, {"warning", t.warning()}, {"chunked", t.chunked()}, {"disk_done", t.disk_done()},
			{"disk_total", t.disk_total()}});
	}
	return list.dump(2) + "\n";
}

}  // namespace ezio::cli
