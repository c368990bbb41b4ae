// Who is calling the API over loopback TCP, for the default policy that
// only root (and the daemon's own user, and members of --api-group) may
// drive the daemon without a token (docs/security.md).
//
// A loopback TCP connection has both ends on this host, so the kernel
// knows which user owns the client's socket: /proc/net/tcp (and tcp6)
// lists every socket with its addresses and owner uid. gRPC tells the
// server the client's address and port ("ipv4:127.0.0.1:54321"); the
// socket whose local end is that and whose remote end is the server's
// port is the caller's.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include <libtorrent/address.hpp>

namespace ezio::rpc {

// The uid owning the client socket of a loopback connection to
// `server_port`, from gRPC's peer string; nullopt if `peer` is not a
// loopback TCP address or no such socket is listed.
std::optional<uid_t> loopback_caller_uid(std::string_view peer, int server_port);

// The same, in the text of /proc/net/tcp (tcp6 for an IPv6 `address`):
// the owner of the socket whose local end is `address`:`client_port` and
// whose remote port is `server_port`.
std::optional<uid_t> find_socket_owner(std::string_view table, lt::address const& address, int client_port,
	int server_port);

// Whether `uid` is root, the daemon's own user, or a member of `gid`
// (primary or supplementary; -1: no group).
bool uid_may_call(uid_t uid, gid_t gid);

}  // namespace ezio::rpc
