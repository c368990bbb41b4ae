// A torrent's phase in one word and its ETA: what the status log, the
// status page and the ezio_torrent_state metric say. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "api/controller.hpp"

namespace ezio::api {

// Every phase a torrent can be in.
inline constexpr std::array<std::string_view, 7> torrent_phases = {
	"checking", "downloading", "syncing", "finished", "seeding", "paused", "error"};

// "error" and "paused" win over the rest; "syncing" is a torrent that has
// every piece but whose target is not synced yet; "finished" and "seeding"
// are synced (a finished torrent that uploads is seeding).
std::string_view torrent_phase(TorrentStatus const& t);

// Seconds until the download is done at the current rate; -1 if unknown
// (not downloading, or no rate yet).
std::int64_t eta_seconds(TorrentStatus const& t);

}  // namespace ezio::api
