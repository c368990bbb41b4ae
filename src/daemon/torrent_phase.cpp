#include "daemon/torrent_phase.hpp"

namespace ezio::daemon {

namespace {

// libtorrent's torrent_status::state_t values the phases come from.
constexpr std::int64_t checking_files = 1;
constexpr std::int64_t seeding = 5;
constexpr std::int64_t checking_resume_data = 7;

}  // namespace

std::string_view torrent_phase(TorrentStatus const& t)
{
	if (!t.error.empty()) return "error";
	if (t.is_paused) return "paused";
	if (t.state == checking_files || t.state == checking_resume_data) return "checking";
	if (t.is_finished) return t.state == seeding && t.total_payload_upload > 0 ? "seeding" : "finished";
	if (t.total > 0 && t.total_done >= t.total) return "syncing";
	return "downloading";
}

std::int64_t eta_seconds(TorrentStatus const& t)
{
	if (torrent_phase(t) != "downloading" || t.download_rate <= 0) return -1;
	return (t.total - t.total_done + t.download_rate - 1) / t.download_rate;
}

}  // namespace ezio::daemon
