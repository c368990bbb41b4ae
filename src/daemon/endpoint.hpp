#pragma once

#include <optional>
#include <string_view>

#include <libtorrent/address.hpp>
#include <libtorrent/socket.hpp>

namespace ezio::daemon {

// Parses "IPv4:PORT" or "[IPv6]:PORT" (no host names: nothing here may
// block on DNS). Port 0 is refused.
std::optional<lt::tcp::endpoint> parse_endpoint(std::string_view text);

// An HTTP listen address: "IP:PORT" as above, or a bare PORT meaning
// loopback (127.0.0.1:PORT). Port 0 means any free port.
std::optional<lt::tcp::endpoint> parse_listen_endpoint(std::string_view text);

// A network: its first and last address.
struct AddressRange {
	lt::address first;
	lt::address last;
};

// Parses "ADDRESS/PREFIX" (IPv4 or IPv6, e.g. "10.0.0.0/24", "fd00::/8") or
// a single address. Host bits set below the prefix are ignored.
std::optional<AddressRange> parse_network(std::string_view text);

}  // namespace ezio::daemon
