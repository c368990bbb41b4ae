// The UDP tracker protocol (BEP 15), as pure functions: what a datagram
// asks, and the datagrams the tracker answers with. No sockets, no clock.
//
// A client first "connects" (gets a connection id, which proves it owns
// its source address), then announces with that id. Only IPv4 peers fit
// the answer's 6-byte format; the HTTP tracker serves IPv6 ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "tracker/announce.hpp"

namespace ezio::tracker {

inline constexpr std::uint64_t udp_protocol_id = 0x41727101980;

enum class UdpAction : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

struct UdpRequest {
	UdpAction action = UdpAction::connect;
	std::uint32_t transaction = 0;
	std::uint64_t connection = 0;  // the protocol id for connect
	Announce announce;             // action announce only
};

// Reads a request datagram. An error means the datagram gets no answer
// (too short, an unknown protocol or action): answering garbage would make
// the tracker a reflector.
Expected<UdpRequest> parse_udp_request(std::string_view datagram);

std::string encode_udp_connect(std::uint32_t transaction, std::uint64_t connection);
// IPv4 peers only (6 bytes each); others are left out.
std::string encode_udp_announce(std::uint32_t transaction, AnnounceReply const& reply);
std::string encode_udp_error(std::uint32_t transaction, std::string_view message);

}  // namespace ezio::tracker
