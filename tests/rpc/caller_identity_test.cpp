// Finding the user behind a loopback connection in /proc/net/tcp text.
#include "rpc/caller_identity.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace ezio::rpc {
namespace {

// As the kernel prints it on a little-endian machine: 127.0.0.1 is
// 0100007F; ports are plain hex. Client 54321 (D431) of user 1000 and a
// root client 40000 (9C40) to the server at 50051 (C383); the listener.
constexpr char table[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n"
	"   1: 0100007F:D431 0100007F:C383 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0 20 4 30 10 -1\n"
	"   2: 0100007F:9C40 0100007F:C383 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 20 4 30 10 -1\n"
	"   3: 0100007F:C383 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 444 1 0 20 4 30 10 -1\n";

TEST(CallerIdentity, FindsTheOwnerOfTheClientEnd)
{
	if (htonl(1) == 1) GTEST_SKIP() << "the table above is little-endian";
	lt::address const local = lt::make_address("127.0.0.1");
	EXPECT_EQ(find_socket_owner(table, local, 54321, 50051), uid_t(1000));
	EXPECT_EQ(find_socket_owner(table, local, 40000, 50051), uid_t(0));
	// The server's own end of the first connection is not the caller.
	EXPECT_EQ(find_socket_owner(table, local, 50051, 54321), uid_t(0));
	EXPECT_FALSE(find_socket_owner(table, local, 54321, 50052)) << "another server";
	EXPECT_FALSE(find_socket_owner(table, lt::make_address("127.0.0.2"), 54321, 50051)) << "another address";
	EXPECT_FALSE(find_socket_owner(table, local, 0, 50051));
	EXPECT_FALSE(find_socket_owner("garbage\n1: 0100007F:D431 0100007F:C383 01 x x x notanumber\n", local, 54321,
		50051));
}

TEST(CallerIdentity, FindsAV4MappedSocketInTcp6)
{
	if (htonl(1) == 1) GTEST_SKIP() << "the table below is little-endian";
	// gRPC listens on an IPv6 socket; a client's 127.0.0.1 shows as ::ffff:127.0.0.1.
	constexpr char tcp6[] =
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
		"tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0000000000000000FFFF00000100007F:9FD6 0000000000000000FFFF00000100007F:C383 01 00000000:00000000 "
		"00:00000000 00000000  1000        0 555 1 0 20 4 30 10 -1\n";
	EXPECT_EQ(find_socket_owner(tcp6, lt::make_address("::ffff:127.0.0.1"), 40918, 50051), uid_t(1000));
	EXPECT_FALSE(find_socket_owner(tcp6, lt::make_address("127.0.0.1"), 40918, 50051));
}

TEST(CallerIdentity, OnlyLoopbackPeersAreLookedUp)
{
	EXPECT_FALSE(loopback_caller_uid("ipv4:10.0.0.5:54321", 50051));
	EXPECT_FALSE(loopback_caller_uid("unix:/run/ezio.sock", 50051));
	EXPECT_FALSE(loopback_caller_uid("ipv4:127.0.0.1:notaport", 50051));
	EXPECT_FALSE(loopback_caller_uid("ipv4:not-an-address:54321", 50051));
	EXPECT_FALSE(loopback_caller_uid("ipv4:::1:54321", 50051)) << "an IPv6 address named as IPv4";
	EXPECT_FALSE(loopback_caller_uid("ipv6:::1:54321", 50051)) << "IPv6 addresses come in brackets";
}

TEST(CallerIdentity, RootAndTheDaemonsUserMayCall)
{
	EXPECT_TRUE(uid_may_call(0, gid_t(-1)));
	EXPECT_TRUE(uid_may_call(::geteuid(), gid_t(-1)));
	if (::geteuid() != 65534) {
		EXPECT_FALSE(uid_may_call(65534, gid_t(-1))) << "nobody, without a group";
		EXPECT_TRUE(uid_may_call(65534, 65534)) << "nobody is in nogroup (its primary group)";
	}
}

}  // namespace
}  // namespace ezio::rpc
