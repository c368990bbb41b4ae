// The shared secret that guards the control API when it is reachable from
// the network (--auth-token-file, ezioctl --token-file).
#pragma once

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace ezio {

// Reads a token: the file's first line without surrounding white space.
// Fails if the file cannot be read or the token is shorter than 16
// characters (a guessable token is no protection).
Expected<std::string> read_token_file(std::string const& path);

// Compares in time that does not depend on where the strings differ.
bool tokens_equal(std::string_view secret, std::string_view presented);

// The gRPC metadata key that carries the token ("authorization: Bearer T").
inline constexpr char token_metadata_key[] = "authorization";
std::string token_metadata_value(std::string const& token);

}  // namespace ezio
