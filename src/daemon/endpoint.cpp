#include "daemon/endpoint.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace ezio::daemon {

namespace {

std::optional<lt::tcp::endpoint> parse(std::string_view text, bool port_zero_ok)
{
	auto const colon = text.rfind(':');
	if (colon == std::string_view::npos) return std::nullopt;
	std::string_view host = text.substr(0, colon);
	std::string_view const port_text = text.substr(colon + 1);

	unsigned port = 0;
	auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
	if (ec != std::errc() || end != port_text.data() + port_text.size() || (port == 0 && !port_zero_ok) || port > 65535)
		return std::nullopt;

	if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
	boost::system::error_code error;
	auto const address = boost::asio::ip::make_address(std::string(host), error);
	if (error) return std::nullopt;
	return lt::tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

std::optional<lt::tcp::endpoint> parse_endpoint(std::string_view text)
{
	return parse(text, false);
}

std::optional<lt::tcp::endpoint> parse_listen_endpoint(std::string_view text)
{
	if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos)
		return parse("127.0.0.1:" + std::string(text), true);
	return parse(text, true);
}

std::optional<AddressRange> parse_network(std::string_view text)
{
	auto const slash = text.find('/');
	boost::system::error_code error;
	auto const address = boost::asio::ip::make_address(std::string(text.substr(0, slash)), error);
	if (error) return std::nullopt;
	int const bits = address.is_v4() ? 32 : 128;
	int prefix = bits;
	if (slash != std::string_view::npos) {
		std::string_view const prefix_text = text.substr(slash + 1);
		auto const [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
		if (ec != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix < 0 || prefix > bits)
			return std::nullopt;
	}
	// Clear (first) or set (last) every bit below the prefix.
	auto const bound = [prefix](auto bytes, bool last) {
		for (std::size_t i = 0; i < bytes.size(); ++i) {
			int const keep = std::clamp(prefix - int(i) * 8, 0, 8);
			auto const host_mask = static_cast<unsigned char>(0xff >> keep);
			bytes[i] = static_cast<unsigned char>(last ? (bytes[i] | host_mask) : (bytes[i] & ~host_mask));
		}
		return bytes;
	};
	if (address.is_v4()) {
		auto const b = address.to_v4().to_bytes();
		return AddressRange{lt::address(boost::asio::ip::address_v4(bound(b, false))),
			lt::address(boost::asio::ip::address_v4(bound(b, true)))};
	}
	auto const b = address.to_v6().to_bytes();
	return AddressRange{lt::address(boost::asio::ip::address_v6(bound(b, false))),
		lt::address(boost::asio::ip::address_v6(bound(b, true)))};
}

}  // namespace ezio::daemon
