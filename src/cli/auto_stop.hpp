// The auto-stop policy Clonezilla applies to a deployment (docs/api.md, "How Clonezilla drives a deployment"),
// as pure decisions on torrent status so that it can be tested alone.
//
// A finished torrent is paused once it has uploaded `ratio` times its size,
// or once it has been finished for `wait` with no upload in the last
// `idle`. A daemon whose torrents are all finished and paused (or stopped on
// an error) is done and can be shut down.
#pragma once

#include <chrono>
#include <string>

#include "ezio.pb.h"

namespace ezio::cli {

struct AutoStopPolicy {
	double ratio = 3.0;
	std::chrono::seconds wait{90};  // Clonezilla's -w default
	std::chrono::seconds idle{15};
};

// Why a torrent should be paused now, or an empty string to leave it.
std::string pause_reason(Torrent const& t, AutoStopPolicy const& policy);

// True if the torrent will not change any more: finished and paused, or
// stopped on an error.
bool settled(Torrent const& t);

// True if the daemon has torrents and every one of them has settled.
bool daemon_done(UpdateStatus const& status);

// True if any torrent stopped on an error.
bool any_error(UpdateStatus const& status);

}  // namespace ezio::cli
