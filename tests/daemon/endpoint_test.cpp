#include "daemon/endpoint.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

TEST(ParseEndpoint, IPv4AndIPv6)
{
	auto const v4 = parse_endpoint("10.0.0.7:6881");
	ASSERT_TRUE(v4);
	EXPECT_EQ(v4->address().to_string(), "10.0.0.7");
	EXPECT_EQ(v4->port(), 6881);

	auto const v6 = parse_endpoint("[fe80::1]:51413");
	ASSERT_TRUE(v6);
	EXPECT_TRUE(v6->address().is_v6());
	EXPECT_EQ(v6->port(), 51413);
}

TEST(ParseEndpoint, RefusesAnythingElse)
{
	for (char const* bad : {"", "10.0.0.7", "10.0.0.7:", ":6881", "10.0.0.7:0", "10.0.0.7:65536", "10.0.0.7:68x1",
			 "host.example:6881", "10.0.0.300:1", "[fe80::1:6881"})
		EXPECT_FALSE(parse_endpoint(bad)) << bad;
}

TEST(ParseListenEndpoint, ABarePortIsLoopback)
{
	auto const port_only = parse_listen_endpoint("9100");
	ASSERT_TRUE(port_only);
	EXPECT_EQ(port_only->address().to_string(), "127.0.0.1");
	EXPECT_EQ(port_only->port(), 9100);

	auto const any = parse_listen_endpoint("0.0.0.0:0");  // any free port
	ASSERT_TRUE(any);
	EXPECT_EQ(any->port(), 0);

	for (char const* bad : {"", "x9100", "91OO", "65536", "localhost:9100", "10.0.0.7:", "-1"})
		EXPECT_FALSE(parse_listen_endpoint(bad)) << bad;
}

TEST(ParseNetwork, CidrsAndSingleAddresses)
{
	auto const lan = parse_network("10.1.2.77/24");
	ASSERT_TRUE(lan);
	EXPECT_EQ(lan->first.to_string(), "10.1.2.0");
	EXPECT_EQ(lan->last.to_string(), "10.1.2.255");
	auto const odd = parse_network("172.16.0.0/12");
	ASSERT_TRUE(odd);
	EXPECT_EQ(odd->last.to_string(), "172.31.255.255");
	auto const one = parse_network("192.168.0.9");
	ASSERT_TRUE(one);
	EXPECT_EQ(one->first, one->last);
	auto const all = parse_network("0.0.0.0/0");
	ASSERT_TRUE(all);
	EXPECT_EQ(all->last.to_string(), "255.255.255.255");
	auto const v6 = parse_network("fd00:1::/32");
	ASSERT_TRUE(v6);
	EXPECT_EQ(v6->first.to_string(), "fd00:1::");
	EXPECT_EQ(v6->last.to_string(), "fd00:1:ffff:ffff:ffff:ffff:ffff:ffff");
	for (char const* bad : {"", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0/8", "host/8", "::/129", "10.0.0.0/8x"})
		EXPECT_FALSE(parse_network(bad)) << bad;
}

}  // namespace
}  // namespace ezio::daemon
