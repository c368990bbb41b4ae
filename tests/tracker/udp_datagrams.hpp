// BEP 15 datagrams as a client writes them, for the tests of the UDP
// tracker (the parser's tests, the server's, the fuzz corpus).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tracker/udp_protocol.hpp"

namespace ezio::tracker::testing {

// `value` in `bytes` bytes, most significant first (network order).
inline std::string big_endian(std::uint64_t value, int bytes)
{
	std::string out;
	for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
	return out;
}

// A connection id as the tracker sent it (8 bytes) to the number a client
// writes back.
inline std::uint64_t connection_of(std::string_view bytes)
{
	std::uint64_t value = 0;
	for (char c : bytes.substr(0, 8)) value = (value << 8) | static_cast<unsigned char>(c);
	return value;
}

inline std::string udp_connect(std::uint32_t transaction)
{
	return big_endian(udp_protocol_id, 8) + big_endian(0, 4) + big_endian(transaction, 4);
}

struct UdpAnnounce {
	std::uint64_t connection = 0;
	std::uint32_t transaction = 1;
	char hash = 'h';  // the info-hash: 20 of these
	std::int64_t left = 0;
	std::uint32_t event = 0;  // 0 none, 1 completed, 2 started, 3 stopped
	std::int32_t numwant = -1;
	std::uint16_t port = 6881;
};

// 98 bytes: peer id 20 × 'p', downloaded and uploaded 0, IP 0, key 7.
inline std::string udp_announce(UdpAnnounce const& a)
{
	return big_endian(a.connection, 8) + big_endian(1, 4) + big_endian(a.transaction, 4) + std::string(20, a.hash)
		+ std::string(20, 'p') + big_endian(0, 8) + big_endian(std::uint64_t(a.left), 8) + big_endian(0, 8)
		+ big_endian(a.event, 4) + big_endian(0, 4) + big_endian(7, 4) + big_endian(std::uint32_t(a.numwant), 4)
		+ big_endian(a.port, 2);
}

}  // namespace ezio::tracker::testing
