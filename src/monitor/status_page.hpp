// The live status page (GET / of --metrics): one self-contained HTML page
// that polls /api/status every second and draws every torrent with a
// progress bar, rates, ETA, peers, phase and a piece map on a canvas.
#pragma once

#include <string_view>

namespace ezio::monitor {

std::string_view status_page_html();

}  // namespace ezio::monitor
