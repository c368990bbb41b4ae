#include "daemon/endpoint.hpp"

#include <charconv>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace ezio::daemon {

std::optional<lt::tcp::endpoint> parse_endpoint(std::string_view text)
{
	auto const colon = text.rfind(':');
	if (colon == std::string_view::npos) return std::nullopt;
	std::string_view host = text.substr(0, colon);
	std::string_view const port_text = text.substr(colon + 1);

	unsigned port = 0;
	auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
	if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
		return std::nullopt;

	if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
	boost::system::error_code error;
	auto const address = boost::asio::ip::make_address(std::string(host), error);
	if (error) return std::nullopt;
	return lt::tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace ezio::daemon
