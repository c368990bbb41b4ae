#include "common/hex.hpp"

namespace ezio {

namespace {

int hex_value(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

}  // namespace

std::string to_hex(lt::sha1_hash const& hash)
{
	static constexpr char digits[] = "0123456789abcdef";
	std::string out;
	out.reserve(lt::sha1_hash::size() * 2);
	for (auto const byte : hash) {
		auto const b = static_cast<unsigned char>(byte);
		out.push_back(digits[b >> 4]);
		out.push_back(digits[b & 0xf]);
	}
	return out;
}

std::optional<lt::sha1_hash> parse_sha1_hex(std::string_view text)
{
	if (text.size() != lt::sha1_hash::size() * 2) return std::nullopt;
	lt::sha1_hash hash;
	for (std::size_t i = 0; i < lt::sha1_hash::size(); ++i) {
		int const hi = hex_value(text[2 * i]);
		int const lo = hex_value(text[2 * i + 1]);
		if (hi < 0 || lo < 0) return std::nullopt;
		hash[i] = static_cast<char>((hi << 4) | lo);
	}
	return hash;
}

}  // namespace ezio
