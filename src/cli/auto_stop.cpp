#include "cli/auto_stop.hpp"

#include <fmt/format.h>

namespace ezio::cli {

std::string pause_reason(Torrent const& t, AutoStopPolicy const& policy)
{
	if (!t.is_finished() || t.is_paused() || !t.error().empty()) return {};
	if (t.total() > 0 && double(t.total_payload_upload()) >= policy.ratio * double(t.total()))
		return fmt::format("uploaded {:.1f}x its size", double(t.total_payload_upload()) / double(t.total()));
	bool const idle = t.last_upload() < 0 || t.last_upload() >= policy.idle.count();
	if (t.finished_time() >= policy.wait.count() && idle)
		return fmt::format("finished {} s ago, no upload for {} s", t.finished_time(),
			t.last_upload() < 0 ? t.finished_time() : t.last_upload());
	return {};
}

bool settled(Torrent const& t)
{
	return !t.error().empty() || (t.is_finished() && t.is_paused());
}

bool daemon_done(UpdateStatus const& status)
{
	if (status.torrents().empty()) return false;
	for (auto const& [hash, t] : status.torrents())
		if (!settled(t)) return false;
	return true;
}

bool any_error(UpdateStatus const& status)
{
	for (auto const& [hash, t] : status.torrents())
		if (!t.error().empty()) return true;
	return false;
}

}  // namespace ezio::cli
