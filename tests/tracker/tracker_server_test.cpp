// The tracker over real HTTP on loopback, as clients (and attackers) see it.
#include "tracker/tracker_server.hpp"

#include <httplib.h>

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>

namespace ezio::tracker {
namespace {

std::string percent_encode(std::string const& bytes)
{
	static char const hex[] = "0123456789ABCDEF";
	std::string out;
	for (unsigned char c : bytes) {
		out += '%';
		out += hex[c >> 4];
		out += hex[c & 15];
	}
	return out;
}

class Tracker : public ::testing::Test {
protected:
	void SetUp() override
	{
		TrackerServer::Config config;
		config.address = "127.0.0.1";
		config.port = 0;
		auto started = TrackerServer::start(config);
		ASSERT_TRUE(started) << started.error();
		tracker = std::move(started.value());
		client = std::make_unique<httplib::Client>("127.0.0.1", tracker->port());
	}

	// The decoded answer to GET `target`; fails the test if it is not bencoding.
	lt::bdecode_node get(std::string const& target, std::string& storage)
	{
		auto const result = client->Get(target);
		EXPECT_TRUE(result) << "no answer to " << target;
		if (!result) return {};
		EXPECT_EQ(result->status, 200);
		storage = result->body;
		lt::error_code ec;
		auto node = lt::bdecode(storage, ec);
		EXPECT_FALSE(ec) << "not bencoding: " << storage;
		return node;
	}

	std::string announce_url(std::string const& hash, int port, int left, std::string const& extra = "")
	{
		return "/announce?info_hash=" + percent_encode(hash) + "&peer_id=" + percent_encode(std::string(20, '\xee'))
			+ "&port=" + std::to_string(port) + "&uploaded=0&downloaded=0&left=" + std::to_string(left)
			+ "&compact=1" + extra;
	}

	std::unique_ptr<TrackerServer> tracker;
	std::unique_ptr<httplib::Client> client;
};

TEST_F(Tracker, PeersFindEachOther)
{
	// Hash bytes that need escaping, including NUL and '&'.
	std::string const hash = std::string("\x00&=%\xff", 5) + std::string(15, 'x');
	std::string storage;
	get(announce_url(hash, 7001, 0, "&event=started"), storage);
	auto const reply = get(announce_url(hash, 7002, 500), storage);
	EXPECT_EQ(reply.dict_find_int_value("complete"), 1);
	EXPECT_EQ(reply.dict_find_int_value("incomplete"), 1);
	EXPECT_EQ(reply.dict_find_int_value("interval"), 30);
	EXPECT_EQ(reply.dict_find_string_value("peers"), std::string("\x7f\x00\x00\x01\x1b\x59", 6));  // 127.0.0.1:7001
}

TEST_F(Tracker, MalformedAnnouncesGetAFailureReasonAndChangeNothing)
{
	std::string const hash(20, 'q');
	std::vector<std::string> const bad{
		"/announce",
		"/announce?info_hash=short&peer_id=x&port=1&left=0",
		announce_url("short", 7001, 0),
		announce_url(hash, 0, 0),
		announce_url(hash, 7001, -1),
		announce_url(hash, 7001, 0, "&event=boom"),
		announce_url(hash, 7001, 0, "&port=7002"),
		announce_url(hash, 7001, 0) + "&info_hash=" + percent_encode(std::string(20, 'r')),
		"/announce?" + std::string(4000, '&'),
		"/announce?info_hash=%zz%zz&port=%",
	};
	for (auto const& url : bad) {
		std::string storage;
		auto const reply = get(url, storage);
		EXPECT_FALSE(reply.dict_find_string_value("failure reason").empty()) << url;
	}
	EXPECT_EQ(tracker->registry().num_peers(), 0u);
	auto const missing = client->Get("/not-announce");
	ASSERT_TRUE(missing);
	EXPECT_EQ(missing->status, 404);
	// Still serving.
	std::string storage;
	EXPECT_TRUE(get(announce_url(hash, 7001, 0), storage).dict_find_string_value("failure reason").empty());
}

TEST(TrackerStart, APortInUseIsAnError)
{
	TrackerServer::Config config;
	config.address = "127.0.0.1";
	config.port = 0;
	auto first = TrackerServer::start(config);
	ASSERT_TRUE(first);
	config.port = (*first)->port();
	auto second = TrackerServer::start(config);
	ASSERT_FALSE(second);
	EXPECT_NE(second.error().find(std::to_string(config.port)), std::string::npos) << second.error();
}

// By default the daemon's tracker serves only its own torrents: made-up
// info-hashes (200,000 of them once filled the swarm table and cut
// throughput to a third) are refused and leave nothing behind.
TEST(TrackerWhitelist, ServesOnlyTheTorrentsItIsGiven)
{
	std::string const known(20, 'k');
	TrackerServer::Config config;
	config.address = "127.0.0.1";
	config.port = 0;
	config.serves = [&](lt::sha1_hash const& h) { return h == lt::sha1_hash(known.data()); };
	auto started = TrackerServer::start(config);
	ASSERT_TRUE(started) << started.error();
	httplib::Client client("127.0.0.1", (*started)->port());
	auto const url = [](std::string const& hash) {
		return "/announce?info_hash=" + percent_encode(hash) + "&peer_id=" + percent_encode(std::string(20, 'p'))
			+ "&port=7001&uploaded=0&downloaded=0&left=0&compact=1";
	};
	for (int i = 0; i < 200; ++i) {
		std::string hash(20, 'x');
		hash[0] = char(i);
		auto const refused = client.Get(url(hash));
		ASSERT_TRUE(refused);
		EXPECT_NE(refused->body.find("does not serve"), std::string::npos) << refused->body;
	}
	EXPECT_EQ((*started)->registry().num_swarms(), 0u);
	auto const served = client.Get(url(known));
	ASSERT_TRUE(served);
	EXPECT_EQ(served->body.find("failure"), std::string::npos) << served->body;
	EXPECT_EQ((*started)->registry().num_swarms(), 1u);
}

}  // namespace
}  // namespace ezio::tracker
