// libtorrent's torrent_status::state_t as a word, for people and for
// metric labels. Shared by ezioctl and the daemon's status page.
#pragma once

#include <cstdint>
#include <string>

namespace ezio {

// "checking", "downloading", "finished", "seeding", ...; "unknown" for
// anything else.
std::string torrent_state_name(std::int64_t state);

}  // namespace ezio
