// How ezioctl shows torrents: a table for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <string>

#include "ezio.pb.h"

namespace ezio::cli {

// libtorrent's torrent_status::state_t as a word.
std::string state_name(std::int64_t state);

// "1.5 GiB", "320.0 KiB", "12 B"
std::string human_bytes(double bytes);

// "0:07", "1:02:03"
std::string human_duration(std::int64_t seconds);

// One line of `watch` for a torrent: progress bar, rates, ETA, peers, state.
std::string watch_line(Torrent const& t);

// The status table: one header line and one line per torrent.
std::string status_table(UpdateStatus const& status);

// Every field of every torrent, as a JSON array.
std::string status_json(UpdateStatus const& status);

}  // namespace ezio::cli
