// BEP 15 datagrams: what the tracker reads and writes.
#include "tracker/udp_protocol.hpp"

#include <gtest/gtest.h>

namespace ezio::tracker {
namespace {

std::string be(std::uint64_t value, int bytes)
{
	std::string out;
	for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
	return out;
}

std::string announce_datagram(std::uint64_t connection, std::int64_t left, std::uint32_t event, std::int32_t numwant,
	std::uint16_t port)
{
	return be(connection, 8) + be(1, 4) + be(0xabcd, 4) + std::string(20, 'h') + std::string(20, 'p') + be(0, 8)
		+ be(std::uint64_t(left), 8) + be(0, 8) + be(event, 4) + be(0, 4) + be(7, 4)
		+ be(std::uint32_t(numwant), 4) + be(port, 2);
}

TEST(UdpProtocol, ConnectNeedsTheProtocolId)
{
	auto const connect = parse_udp_request(be(udp_protocol_id, 8) + be(0, 4) + be(77, 4));
	ASSERT_TRUE(connect) << connect.error();
	EXPECT_EQ(connect->action, UdpAction::connect);
	EXPECT_EQ(connect->transaction, 77u);
	EXPECT_FALSE(parse_udp_request(be(12345, 8) + be(0, 4) + be(77, 4)));
	EXPECT_EQ(encode_udp_connect(77, 0x1122334455667788), be(0, 4) + be(77, 4) + be(0x1122334455667788, 8));
}

TEST(UdpProtocol, AnnounceIsReadFieldByField)
{
	auto const request = parse_udp_request(announce_datagram(42, 1000, 2, -1, 6881));
	ASSERT_TRUE(request) << request.error();
	EXPECT_EQ(request->action, UdpAction::announce);
	EXPECT_EQ(request->connection, 42u);
	EXPECT_EQ(request->transaction, 0xabcdu);
	EXPECT_EQ(request->announce.info_hash, lt::sha1_hash(std::string(20, 'h').data()));
	EXPECT_EQ(request->announce.left, 1000);
	EXPECT_EQ(request->announce.event, Event::started);
	EXPECT_EQ(request->announce.numwant, 50) << "-1 means the default";
	EXPECT_EQ(request->announce.port, 6881);
	EXPECT_EQ(parse_udp_request(announce_datagram(42, 0, 0, 100000, 1))->announce.numwant, max_numwant);
}

TEST(UdpProtocol, GarbageGetsNoAnswer)
{
	for (std::string const& bad : {std::string(), std::string(15, '\0'), be(42, 8) + be(9, 4) + be(1, 4),
			 announce_datagram(42, 0, 0, 5, 6881).substr(0, 97), announce_datagram(42, -1, 0, 5, 6881),
			 announce_datagram(42, 0, 4, 5, 6881), announce_datagram(42, 0, 0, 5, 0)})
		EXPECT_FALSE(parse_udp_request(bad)) << bad.size() << " bytes";
}

TEST(UdpProtocol, AnnounceAnswerCarriesIPv4PeersOnly)
{
	AnnounceReply reply;
	reply.interval = 30;
	reply.complete = 1;
	reply.incomplete = 2;
	reply.peers = {lt::tcp::endpoint(lt::make_address("10.0.0.1"), 6881),
		lt::tcp::endpoint(lt::make_address("fe80::1"), 6881)};
	EXPECT_EQ(encode_udp_announce(5, reply), be(1, 4) + be(5, 4) + be(30, 4) + be(2, 4) + be(1, 4)
		+ std::string("\x0a\x00\x00\x01\x1a\xe1", 6));
	EXPECT_EQ(encode_udp_error(5, "no"), be(3, 4) + be(5, 4) + "no");
}

}  // namespace
}  // namespace ezio::tracker
