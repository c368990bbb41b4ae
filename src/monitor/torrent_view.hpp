// The JSON the status page reads (GET /api/status). A pure function of the
// daemon's status.
#pragma once

#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "api/controller.hpp"

namespace ezio::monitor {

// {"torrents":[{hash, name, phase, progress, ...}], "engine":{...}}
nlohmann::json status_json(std::vector<api::TorrentStatus> const& torrents, api::EngineFigures const& engine);

}  // namespace ezio::monitor
