// The tracker over real HTTP on loopback, as clients (and attackers) see it.
#include "tracker/tracker_server.hpp"
#include "tracker/udp_datagrams.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

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
		"/announce?info_hash=%zz%zz&port=%",
	};
	for (auto const& url : bad) {
		std::string storage;
		auto const reply = get(url, storage);
		EXPECT_FALSE(reply.dict_find_string_value("failure reason").empty()) << url;
	}
	// Thousands of parameters exceed a connection's memory: the server drops
	// the connection rather than grow.
	client->set_read_timeout(1, 0);
	auto const flood = client->Get("/announce?" + std::string(4000, '&'));
	client->set_read_timeout(5, 0);
	if (flood && flood->status == 200) EXPECT_NE(flood->body.find("failure reason"), std::string::npos);
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

// A raw TCP connection to the tracker, for clients that misbehave.
class RawClient {
public:
	explicit RawClient(int port, char const* from = "127.0.0.1")
	{
		m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sockaddr_in local{};
		local.sin_family = AF_INET;
		::inet_pton(AF_INET, from, &local.sin_addr);
		::bind(m_fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
		sockaddr_in server{};
		server.sin_family = AF_INET;
		server.sin_port = htons(std::uint16_t(port));
		::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
		m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0;
		timeval const timeout{5, 0};
		::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	}
	~RawClient() { ::close(m_fd); }
	bool connected() const { return m_connected; }
	// Sends what it can; false once the server has closed the connection.
	bool send(std::string_view data) { return ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size()); }
	// Everything until the server closes (or 5 s pass).
	std::string receive_all()
	{
		std::string out;
		char buffer[4096];
		for (ssize_t n; (n = ::recv(m_fd, buffer, sizeof buffer, 0)) > 0;) out.append(buffer, std::size_t(n));
		return out;
	}

private:
	int m_fd = -1;
	bool m_connected = false;
};

// Slowloris: connections that send a request a byte at a time (290 bytes
// in ten of them once stopped every announce for 45 s) must not delay the
// others.
TEST_F(Tracker, SlowClientsDoNotHoldUpTheOthers)
{
	std::vector<std::unique_ptr<RawClient>> slow;
	for (int i = 0; i < 10; ++i) {
		slow.push_back(std::make_unique<RawClient>(tracker->port()));
		ASSERT_TRUE(slow.back()->connected());
		slow.back()->send("GET /announce?info_hash=");
	}
	for (int round = 0; round < 3; ++round) {
		for (auto& s : slow) s->send("a");
		auto const started = std::chrono::steady_clock::now();
		std::string storage;
		auto const reply = get(announce_url(std::string(20, 's'), 7001 + round, 0), storage);
		EXPECT_TRUE(reply.dict_find_string_value("failure reason").empty());
		EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
	}
}

// 75 MB of small headers once took the tracker from 448 MiB to 1.8 GiB:
// now a connection's headers have a fixed budget, and past it the
// connection ends.
TEST_F(Tracker, AHeaderFloodEndsTheConnection)
{
	RawClient flood(tracker->port());
	ASSERT_TRUE(flood.connected());
	flood.send("GET /announce HTTP/1.1\r\nHost: x\r\n");
	std::string const headers = [] {
		std::string h;
		for (int i = 0; i < 1000; ++i) h += "X-" + std::to_string(i) + ": y\r\n";
		return h;
	}();
	int sent = 0;
	while (sent < 100 && flood.send(headers)) ++sent;  // up to 10 MB
	std::string const answer = flood.receive_all();
	EXPECT_TRUE(sent < 100 || answer.starts_with("HTTP/1.1 4")) << "sent " << sent << " rounds; answer: " << answer;
	std::string storage;
	EXPECT_TRUE(get(announce_url(std::string(20, 'h'), 7001, 0), storage).dict_find_string_value("failure reason").empty());
}

// 1,000 ranges in one header once made a page come back 3,000 times over:
// ranges are not served, the answer comes once.
TEST_F(Tracker, RangesAreIgnored)
{
	std::string ranges = "bytes=0-10";
	for (int i = 0; i < 1000; ++i) ranges += ",0-10";
	RawClient client(tracker->port());
	ASSERT_TRUE(client.connected());
	client.send("GET " + announce_url(std::string(20, 'r'), 7001, 0) + " HTTP/1.1\r\nHost: x\r\nRange: " + ranges
		+ "\r\nConnection: close\r\n\r\n");
	std::string const answer = client.receive_all();
	EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer.substr(0, 200);
	EXPECT_LT(answer.size(), 1000u);
}

// One address holds only so many connections at once; other addresses
// still get in.
TEST_F(Tracker, OneAddressCannotTakeEveryConnection)
{
	std::vector<std::unique_ptr<RawClient>> hog;
	for (int i = 0; i < 40; ++i) hog.push_back(std::make_unique<RawClient>(tracker->port(), "127.0.0.3"));
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	int open = 0;
	for (auto& h : hog)
		if (h->send("G")) ++open;
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	open = 0;
	for (auto& h : hog)
		if (h->send("E")) ++open;
	EXPECT_LE(open, 16) << "connections from one address still open";
	std::string storage;
	EXPECT_TRUE(get(announce_url(std::string(20, 'o'), 7001, 0), storage).dict_find_string_value("failure reason").empty());
}

// BEP 15 on the same port number: connect, then announce with the id.
TEST_F(Tracker, AnswersOverUdp)
{
	int const fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	sockaddr_in to{};
	to.sin_family = AF_INET;
	to.sin_port = htons(std::uint16_t(tracker->port()));
	::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
	timeval const timeout{2, 0};
	::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	using testing::big_endian;
	auto const exchange = [&](std::string const& datagram) {
		::send(fd, datagram.data(), datagram.size(), 0);
		char buffer[2048];
		ssize_t const n = ::recv(fd, buffer, sizeof buffer, 0);
		return n < 0 ? std::string() : std::string(buffer, std::size_t(n));
	};
	auto const announce = [&](std::uint64_t connection, std::uint16_t port, std::int64_t left) {
		return exchange(testing::udp_announce({connection, 9, 'u', left, 2, -1, port}));
	};

	std::string const connected = exchange(testing::udp_connect(1234));
	ASSERT_EQ(connected.size(), 16u);
	EXPECT_EQ(connected.substr(0, 8), big_endian(0, 4) + big_endian(1234, 4));
	std::uint64_t const id = testing::connection_of(connected.substr(8));

	EXPECT_EQ(announce(id, 7001, 0).size(), 20u) << "the first peer gets no peers";
	std::string const second = announce(id, 7002, 100);
	ASSERT_EQ(second.size(), 26u);
	EXPECT_EQ(second.substr(0, 8), big_endian(1, 4) + big_endian(9, 4));
	EXPECT_EQ(second.substr(12, 8), big_endian(1, 4) + big_endian(1, 4)) << "one leecher, one seed";
	EXPECT_EQ(second.substr(20), std::string("\x7f\x00\x00\x01\x1b\x59", 6));  // 127.0.0.1:7001

	std::string const forged = announce(0x0102030405060708, 7003, 0);
	EXPECT_EQ(forged.substr(0, 4), big_endian(3, 4)) << "an unknown connection id is an error";
	EXPECT_EQ(tracker->registry().num_peers(), 2u);
	::send(fd, "garbage", 7, 0);
	EXPECT_EQ(exchange(testing::udp_connect(1)).size(), 16u) << "still answering";
	::close(fd);
}

}  // namespace
}  // namespace ezio::tracker
