// BEP 15 datagrams: what the tracker reads and writes.
#include "tracker/udp_protocol.hpp"

#include <gtest/gtest.h>

#include "tracker/udp_datagrams.hpp"

namespace ezio::tracker {
namespace {

using testing::big_endian;
using testing::udp_announce;
using testing::UdpAnnounce;

// The fields the tests vary; the rest as udp_announce writes them.
std::string announce_datagram(std::uint64_t connection, std::int64_t left, std::uint32_t event, std::int32_t numwant,
	std::uint16_t port)
{
	return udp_announce(UdpAnnounce{connection, 0xabcd, 'h', left, event, numwant, port});
}

TEST(UdpProtocol, ConnectNeedsTheProtocolId)
{
	auto const connect = parse_udp_request(testing::udp_connect(77));
	ASSERT_TRUE(connect) << connect.error();
	EXPECT_EQ(connect->action, UdpAction::connect);
	EXPECT_EQ(connect->transaction, 77u);
	EXPECT_FALSE(parse_udp_request(big_endian(12345, 8) + big_endian(0, 4) + big_endian(77, 4)));
	EXPECT_EQ(encode_udp_connect(77, 0x1122334455667788),
		big_endian(0, 4) + big_endian(77, 4) + big_endian(0x1122334455667788, 8));
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
	for (std::string const& bad : {std::string(), std::string(15, '\0'),
			 big_endian(42, 8) + big_endian(9, 4) + big_endian(1, 4),
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
	EXPECT_EQ(encode_udp_announce(5, reply),
		big_endian(1, 4) + big_endian(5, 4) + big_endian(30, 4) + big_endian(2, 4) + big_endian(1, 4)
		+ std::string("\x0a\x00\x00\x01\x1a\xe1", 6));
	EXPECT_EQ(encode_udp_error(5, "no"), big_endian(3, 4) + big_endian(5, 4) + "no");
}

}  // namespace
}  // namespace ezio::tracker
