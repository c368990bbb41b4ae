// The daemon's Prometheus metrics (GET /metrics of --metrics): per torrent
// progress, bytes, rates, peers, state and errors, and the raw engine's
// budget and I/O counters.
#pragma once

#include <string>
#include <vector>

#include "api/controller.hpp"

namespace ezio::monitor {

std::string render_metrics(std::vector<api::TorrentStatus> const& torrents, api::EngineFigures const& engine);

}  // namespace ezio::monitor
