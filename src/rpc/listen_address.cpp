#include "rpc/listen_address.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>

namespace ezio::rpc {

namespace {

// The host part of "HOST:PORT", "[V6]:PORT", "ipv4:HOST:PORT" or a bare host.
std::string host_of(std::string address)
{
	for (char const* scheme : {"ipv4:", "ipv6:", "dns:"})
		if (address.rfind(scheme, 0) == 0) address = address.substr(std::string(scheme).size());
	if (!address.empty() && address.front() == '[') {
		auto const close = address.find(']');
		return close == std::string::npos ? address : address.substr(1, close - 1);
	}
	if (std::count(address.begin(), address.end(), ':') == 1) return address.substr(0, address.find(':'));
	return address;
}

}  // namespace

bool is_loopback_address(std::string const& address)
{
	if (address.rfind("unix:", 0) == 0 || address.rfind("unix-abstract:", 0) == 0) return true;
	std::string const host = host_of(address);
	if (host == "localhost") return true;
	boost::system::error_code ec;
	auto const ip = boost::asio::ip::make_address(host, ec);
	return !ec && ip.is_loopback();
}

}  // namespace ezio::rpc
