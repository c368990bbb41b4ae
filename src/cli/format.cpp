#include "cli/format.hpp"

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

std::string status_table(UpdateStatus const& status)
{
	std::string out = fmt::format("{:<10} {:<16} {:>7} {:<12} {:>11} {:>11} {:>5}  {}\n", "HASH", "NAME", "DONE",
		"STATE", "DOWN/s", "UP/s", "PEERS", "NOTE");
	for (std::string const& hash : status.hashes()) {
		auto const it = status.torrents().find(hash);
		if (it == status.torrents().end()) continue;
		Torrent const& t = it->second;
		std::string note = !t.error().empty() ? "error: " + t.error()
			: t.is_finished() ? "finished (synced)"
			: t.is_paused() ? "paused"
			: "";
		out += fmt::format("{:<10} {:<16} {:>6.1f}% {:<12} {:>11} {:>11} {:>5}  {}\n", hash.substr(0, 10),
			t.name().substr(0, 16), t.progress() * 100, state_name(t.state()), human_bytes(double(t.download_rate())),
			human_bytes(double(t.upload_rate())), t.num_peers(), note);
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
			{"error", t.error()}});
	}
	return list.dump(2) + "\n";
}

}  // namespace ezio::cli
