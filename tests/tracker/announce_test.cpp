#include "tracker/announce.hpp"

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>

namespace ezio::tracker {
namespace {

QueryParams valid()
{
	return {{"info_hash", std::string(20, 'h')}, {"peer_id", std::string(20, 'p')}, {"port", "6881"},
		{"uploaded", "0"}, {"downloaded", "0"}, {"left", "1000"}, {"compact", "1"}, {"event", "started"}};
}

TEST(Announce, ReadsAValidAnnounce)
{
	auto const a = parse_announce(valid());
	ASSERT_TRUE(a) << a.error();
	EXPECT_EQ(a->info_hash, lt::sha1_hash(std::string(20, 'h').data()));
	EXPECT_EQ(a->port, 6881);
	EXPECT_EQ(a->left, 1000);
	EXPECT_EQ(a->event, Event::started);
	EXPECT_EQ(a->numwant, 50);
}

TEST(Announce, CapsNumwant)
{
	auto params = valid();
	params.emplace("numwant", "100000");
	EXPECT_EQ(parse_announce(params)->numwant, max_numwant);
}

struct BadAnnounce {
	char const* name;
	char const* key;
	char const* value;  // nullptr: remove the key
	char const* words;
};

class AnnounceBad : public ::testing::TestWithParam<BadAnnounce> {};

TEST_P(AnnounceBad, IsRefusedWithAReason)
{
	auto params = valid();
	params.erase(GetParam().key);
	if (GetParam().value) params.emplace(GetParam().key, GetParam().value);
	auto const a = parse_announce(params);
	ASSERT_FALSE(a);
	EXPECT_NE(a.error().find(GetParam().words), std::string::npos) << a.error();
}

INSTANTIATE_TEST_SUITE_P(Malformed, AnnounceBad,
	::testing::Values(BadAnnounce{"no_info_hash", "info_hash", nullptr, "info_hash"},
		BadAnnounce{"short_info_hash", "info_hash", "abc", "3 bytes"},
		BadAnnounce{"long_peer_id", "peer_id", "012345678901234567890123", "24 bytes"},
		BadAnnounce{"no_port", "port", nullptr, "port"},
		BadAnnounce{"port_zero", "port", "0", "port"},
		BadAnnounce{"port_too_big", "port", "70000", "port"},
		BadAnnounce{"port_not_a_number", "port", "http", "port"},
		BadAnnounce{"port_with_junk", "port", "6881x", "port"},
		BadAnnounce{"negative_left", "left", "-1", "left"},
		BadAnnounce{"huge_left", "left", "99999999999999999999", "left"},
		BadAnnounce{"unknown_event", "event", "exploded", "event"},
		BadAnnounce{"negative_numwant", "numwant", "-5", "numwant"},
		BadAnnounce{"not_compact", "compact", "0", "compact"}),
	[](auto const& info) { return std::string(info.param.name); });

TEST(Announce, RefusesRepeatedParameters)
{
	auto params = valid();
	params.emplace("port", "6882");
	auto const a = parse_announce(params);
	ASSERT_FALSE(a);
	EXPECT_NE(a.error().find("more than once"), std::string::npos);
}

TEST(Announce, EncodesCompactPeers)
{
	AnnounceReply reply;
	reply.interval = 30;
	reply.min_interval = 5;
	reply.complete = 1;
	reply.incomplete = 2;
	reply.peers = {lt::tcp::endpoint(lt::make_address("10.0.0.1"), 6881),
		lt::tcp::endpoint(lt::make_address("fe80::1"), 258)};
	std::string const data = encode_reply(reply);
	lt::error_code ec;
	auto const root = lt::bdecode(data, ec);
	ASSERT_FALSE(ec);
	EXPECT_EQ(root.dict_find_int_value("interval"), 30);
	EXPECT_EQ(root.dict_find_int_value("min interval"), 5);
	EXPECT_EQ(root.dict_find_int_value("complete"), 1);
	EXPECT_EQ(root.dict_find_int_value("incomplete"), 2);
	EXPECT_EQ(root.dict_find_string_value("peers"), std::string("\x0a\x00\x00\x01\x1a\xe1", 6));
	std::string const v6 = std::string(root.dict_find_string_value("peers6"));
	ASSERT_EQ(v6.size(), 18u);
	EXPECT_EQ(v6.substr(16), std::string("\x01\x02", 2));
}

TEST(Announce, EncodesAFailure)
{
	lt::error_code ec;
	std::string const data = encode_failure("no such thing");
	auto const root = lt::bdecode(data, ec);
	ASSERT_FALSE(ec);
	EXPECT_EQ(root.dict_find_string_value("failure reason"), "no such thing");
}

}  // namespace
}  // namespace ezio::tracker
