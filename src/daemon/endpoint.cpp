#include "daemon/endpoint.hpp"

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

}  // namespace ezio::daemon
