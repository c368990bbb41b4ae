#include "tracker/udp_protocol.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ezio::tracker {

namespace {

std::uint64_t read_be(std::string_view data, std::size_t at, int bytes)
{
	std::uint64_t value = 0;
	for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[at + std::size_t(i)]);
	return value;
}

void write_be(std::string& out, std::uint64_t value, int bytes)
{
	for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string header(UdpAction action, std::uint32_t transaction)
{
	std::string out;
	write_be(out, static_cast<std::uint32_t>(action), 4);
	write_be(out, transaction, 4);
	return out;
}

}  // namespace

Expected<UdpRequest> parse_udp_request(std::string_view datagram)
{
	if (datagram.size() < 16) return Error{fmt::format("a datagram of {} bytes is no request", datagram.size()), Errc::invalid_argument};
	UdpRequest request;
	request.connection = read_be(datagram, 0, 8);
	std::uint64_t const action = read_be(datagram, 8, 4);
	request.transaction = std::uint32_t(read_be(datagram, 12, 4));
	if (action == std::uint32_t(UdpAction::connect)) {
		if (request.connection != udp_protocol_id) return Error{"a connect without the protocol id", Errc::invalid_argument};
		request.action = UdpAction::connect;
		return request;
	}
	if (action == std::uint32_t(UdpAction::scrape)) {
		request.action = UdpAction::scrape;
		return request;
	}
	if (action != std::uint32_t(UdpAction::announce)) return Error{fmt::format("unknown action {}", action), Errc::invalid_argument};
	if (datagram.size() < 98) return Error{fmt::format("an announce of {} bytes (98 needed)", datagram.size()), Errc::invalid_argument};

	request.action = UdpAction::announce;
	Announce& a = request.announce;
	a.info_hash = lt::sha1_hash(datagram.data() + 16);
	a.peer_id = std::string(datagram.substr(36, 20));
	std::int64_t const left = std::int64_t(read_be(datagram, 64, 8));
	if (left < 0) return Error{"left is negative", Errc::invalid_argument};
	a.left = left;
	switch (read_be(datagram, 80, 4)) {
	case 0: a.event = Event::none; break;
	case 1: a.event = Event::completed; break;
	case 2: a.event = Event::started; break;
	case 3: a.event = Event::stopped; break;
	default: return Error{"unknown event", Errc::invalid_argument};
	}
	// The IP field (84) is ignored: the source address is the peer's.
	auto const numwant = static_cast<std::int32_t>(std::uint32_t(read_be(datagram, 92, 4)));
	a.numwant = numwant < 0 ? 50 : std::min(numwant, max_numwant);
	a.port = std::uint16_t(read_be(datagram, 96, 2));
	if (a.port == 0) return Error{"port 0", Errc::invalid_argument};
	return request;
}

std::string encode_udp_connect(std::uint32_t transaction, std::uint64_t connection)
{
	std::string out = header(UdpAction::connect, transaction);
	write_be(out, connection, 8);
	return out;
}

std::string encode_udp_announce(std::uint32_t transaction, AnnounceReply const& reply)
{
	std::string out = header(UdpAction::announce, transaction);
	write_be(out, std::uint32_t(reply.interval), 4);
	write_be(out, std::uint32_t(reply.incomplete), 4);
	write_be(out, std::uint32_t(reply.complete), 4);
	for (auto const& peer : reply.peers) {
		if (!peer.address().is_v4()) continue;
		write_be(out, peer.address().to_v4().to_uint(), 4);
		write_be(out, peer.port(), 2);
	}
	return out;
}

std::string encode_udp_error(std::uint32_t transaction, std::string_view message)
{
	std::string out = header(UdpAction::error, transaction);
	out.append(message);
	return out;
}

}  // namespace ezio::tracker
