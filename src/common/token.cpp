#include "common/token.hpp"

#include <fstream>

#include <fmt/format.h>

namespace ezio {

Expected<std::string> read_token_file(std::string const& path)
{
	std::ifstream in(path);
	if (!in) return Error{fmt::format("cannot read the token file '{}'", path), Errc::io};
	std::string line;
	std::getline(in, line);
	auto const first = line.find_first_not_of(" \t\r");
	auto const last = line.find_last_not_of(" \t\r");
	std::string const token = first == std::string::npos ? std::string() : line.substr(first, last - first + 1);
	if (token.size() < 16)
		return Error{fmt::format("the token in '{}' is {} characters; use at least 16 (e.g. head -c 24 /dev/urandom "
			"| base64 > {})", path, token.size(), path), Errc::invalid_argument};
	return token;
}

bool tokens_equal(std::string_view secret, std::string_view presented)
{
	// Every byte of the secret is looked at whatever was presented, so the
	// time taken tells nothing about where they differ.
	unsigned char diff = secret.size() == presented.size() ? 0 : 1;
	for (std::size_t i = 0; i < secret.size(); ++i) {
		unsigned char const other = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
		diff |= static_cast<unsigned char>(static_cast<unsigned char>(secret[i]) ^ other);
	}
	return diff == 0;
}

std::string token_metadata_value(std::string const& token)
{
	return "Bearer " + token;
}

}  // namespace ezio
