#pragma once

#include <string>

namespace ezio::rpc {

// True for gRPC addresses only this machine can reach: unix sockets,
// localhost, 127.0.0.0/8 and [::1]. Anything else (0.0.0.0, a LAN address,
// a host name) is reachable from the network.
bool is_loopback_address(std::string const& address);

}  // namespace ezio::rpc
