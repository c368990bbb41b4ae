#include "api/torrent_phase.hpp"

namespace ezio::api {

std::string_view torrent_phase(TorrentStatus const& t)
{
	if (!t.error.empty()) return "error";
	if (t.is_paused) return "paused";
	if (t.state == TorrentState::checking_files || t.state == TorrentState::checking_resume_data) return "checking";
	if (t.is_finished) return t.state == TorrentState::seeding && t.total_payload_upload > 0 ? "seeding" : "finished";
	if (t.total > 0 && t.total_done >= t.total) return "syncing";
	return "downloading";
}

std::int64_t eta_seconds(TorrentStatus const& t)
{
	if (torrent_phase(t) != "downloading" || t.download_rate <= 0) return -1;
	return (t.total - t.total_done + t.download_rate - 1) / t.download_rate;
}

}  // namespace ezio::api
