// What EZIO does with bytes it did not make — a .torrent from an RPC or a
// file, a partclone torrent.info, a resume record — in one call per kind of input, shared by
// the seeded mutation test (ctest) and the libFuzzer target.
//
// Each call must return, quickly, for any input: an error is fine, a crash,
// a hang or an accepted input that breaks an invariant is a defect.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ezio::fuzz {

// Loads a .torrent as AddTorrent does (bencoding, v1 only, extent layout or
// chunk list).
// Returns a description of a broken invariant if an accepted torrent has
// one, nullopt otherwise (accepted and sound, or rejected).
std::optional<std::string> check_torrent(std::string_view data);

// The same for a chunk's stored bytes (a zstd frame from a peer): the first
// two bytes give the length it claims, the rest is the frame.
std::optional<std::string> check_chunk_frame(std::string_view data);

// The same for a partclone torrent.info.
std::optional<std::string> check_partclone_info(std::string_view text);

// The same for a resume record from --state-dir (docs/resume.md).
std::optional<std::string> check_resume_record(std::string_view data);

// The same for a UDP tracker datagram (BEP 15).
std::optional<std::string> check_udp_datagram(std::string_view data);

// The same for what a peer says about its connections: an extension
// handshake, or a count message's payload (docs/format.md, "Peer counts").
std::optional<std::string> check_peer_count(std::string_view data);

}  // namespace ezio::fuzz
