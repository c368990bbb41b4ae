// Framing of the BitTorrent messages EZIO's plugins write themselves
// (peer_connection_handle::send_buffer takes them whole).
#pragma once

#include <cstdint>

namespace ezio::swarm {

// A 32-bit field in network byte order: a message's length prefix, a
// piece index, an offset.
inline void put_u32(char* out, std::uint32_t value)
{
	out[0] = char(value >> 24);
	out[1] = char(value >> 16);
	out[2] = char(value >> 8);
	out[3] = char(value);
}

}  // namespace ezio::swarm
