#include "swarm/peer_count.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>

namespace ezio::swarm {
namespace {

lt::bdecode_node decode(std::string const& text)
{
	lt::error_code ec;
	lt::bdecode_node node = lt::bdecode(text, ec);
	EXPECT_FALSE(ec) << text;
	return node;
}

std::optional<int> parse(std::string const& text)
{
	return parse_peer_count({text.data(), std::ptrdiff_t(text.size())});
}

TEST(PeerCount, TheHandshakeCarriesTheCountAndTheMessageId)
{
	lt::entry handshake;
	handshake["m"]["ut_metadata"] = 2;
	add_peer_count(handshake, 5);
	std::string text;
	lt::bencode(std::back_inserter(text), handshake);
	auto const node = decode(text);  // the node points into text
	auto const read = read_peer_count(node);
	EXPECT_EQ(read.msg_id, peer_count_msg_id);
	EXPECT_EQ(read.count, 5);
}

TEST(PeerCount, AStockHandshakeSaysNothing)
{
	std::string const text = "d1:md11:ut_metadatai2ee1:pi6881ee";
	auto const read = read_peer_count(decode(text));
	EXPECT_EQ(read.msg_id, 0);
	EXPECT_FALSE(read.count);
}

TEST(PeerCount, CountsAndIdsOutOfRangeAreIgnored)
{
	std::string const text = "d1:md10:ezio_peersi300ee10:ezio_peersi-1ee";
	auto const read = read_peer_count(decode(text));
	EXPECT_EQ(read.msg_id, 0);
	EXPECT_FALSE(read.count);
	EXPECT_FALSE(parse("d1:ni100001ee"));
	EXPECT_FALSE(parse("d1:ni-3ee"));
}

TEST(PeerCount, AMessageIsFramedForThePeersIdAndReadsBack)
{
	std::string const message = peer_count_message(17, 6);
	ASSERT_GT(message.size(), 6u);
	std::uint32_t const length = (std::uint8_t(message[0]) << 24) | (std::uint8_t(message[1]) << 16)
		| (std::uint8_t(message[2]) << 8) | std::uint8_t(message[3]);
	EXPECT_EQ(length, message.size() - 4);
	EXPECT_EQ(message[4], char(20));
	EXPECT_EQ(message[5], char(17));
	EXPECT_EQ(parse(message.substr(6)), 6);
}

TEST(PeerCount, APayloadThatIsNotACountIsIgnored)
{
	for (std::string const bad : std::vector<std::string>{"", "i5e", "d1:xi5ee", "d1:n1:5e", "d1:ni5e", std::string(100, 'd')})
		EXPECT_FALSE(parse(bad)) << bad;
}

}  // namespace
}  // namespace ezio::swarm
