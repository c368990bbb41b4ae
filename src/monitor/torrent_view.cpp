#include "monitor/torrent_view.hpp"

#include <nlohmann/json.hpp>

#include "api/torrent_phase.hpp"

namespace ezio::monitor {

using api::eta_seconds;
using api::torrent_phase;

nlohmann::json status_json(std::vector<api::TorrentStatus> const& torrents, api::EngineFigures const& engine)
{
	nlohmann::json list = nlohmann::json::array();
	for (auto const& t : torrents) {
		list.push_back({{"hash", t.hash}, {"name", t.name}, {"phase", std::string(torrent_phase(t))},
			{"progress", t.progress}, {"total_done", t.total_done}, {"total", t.total},
			{"pieces_done", t.num_pieces}, {"pieces_total", t.pieces_total}, {"download_rate", t.download_rate},
			{"upload_rate", t.upload_rate}, {"downloaded", t.total_payload_download},
			{"uploaded", t.total_payload_upload}, {"peers", t.num_peers}, {"eta", eta_seconds(t)},
			{"is_finished", t.is_finished}, {"save_path", t.save_path}, {"error", t.error}, {"warning", t.warning},
			{"chunked", t.chunked},
			{"disk_done", t.disk_done}, {"disk_total", t.disk_total}});
	}
	return {{"torrents", std::move(list)},
		{"engine",
			{{"raw_mode", engine.raw_mode}, {"budget_bytes", engine.budget_bytes},
				{"budget_used_bytes", engine.budget_used_bytes}}}};
}

}  // namespace ezio::monitor
