#include "rpc/listen_address.hpp"

#include <gtest/gtest.h>

namespace ezio::rpc {
namespace {

TEST(ListenAddress, LoopbackOnlyForWhatThisMachineAloneReaches)
{
	for (char const* local : {"127.0.0.1:50051", "127.9.8.7:1", "localhost:50051", "[::1]:50051", "ipv4:127.0.0.1:5",
			 "unix:/run/ezio.sock", "unix-abstract:ezio"})
		EXPECT_TRUE(is_loopback_address(local)) << local;
	for (char const* remote : {"0.0.0.0:50051", "[::]:50051", "10.0.0.1:50051", "192.168.1.5:1", "[fe80::1]:5",
			 "ezio.lab.example:50051", ":50051", ""})
		EXPECT_FALSE(is_loopback_address(remote)) << remote;
}

}  // namespace
}  // namespace ezio::rpc
