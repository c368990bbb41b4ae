// Info-hashes as the API spells them: 40 lower-case hex digits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <libtorrent/sha1_hash.hpp>

namespace ezio {

std::string to_hex(lt::sha1_hash const& hash);

// Accepts 40 hex digits in either case; nullopt for anything else.
std::optional<lt::sha1_hash> parse_sha1_hex(std::string_view text);

}  // namespace ezio
