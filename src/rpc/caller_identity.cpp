#include "rpc/caller_identity.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

namespace ezio::rpc {

namespace {

// An address as /proc/net/tcp prints it: each 32-bit word of the address
// in network order, printed as the host's integer in hex.
std::string proc_address(lt::address const& address)
{
	auto const print = [](auto const& bytes) {
		std::string text;
		for (std::size_t word = 0; word < bytes.size() / 4; ++word) {
			std::uint32_t value = 0;
			std::memcpy(&value, bytes.data() + 4 * word, 4);
			text += fmt::format("{:08X}", value);
		}
		return text;
	};
	return address.is_v4() ? print(address.to_v4().to_bytes()) : print(address.to_v6().to_bytes());
}

std::string read_all(char const* path)
{
	std::ifstream in(path);
	return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

std::optional<uid_t> find_socket_owner(std::string_view table, lt::address const& address, int client_port,
	int server_port)
{
	if (client_port <= 0 || client_port > 65535 || server_port <= 0 || server_port > 65535) return std::nullopt;
	std::string const local = fmt::format("{}:{:04X}", proc_address(address), client_port);
	std::string const remote_port = fmt::format(":{:04X}", server_port);
	std::istringstream lines{std::string(table)};
	for (std::string line; std::getline(lines, line);) {
		std::istringstream fields(line);
		std::vector<std::string> f;
		for (std::string w; f.size() < 8 && fields >> w;) f.push_back(w);
		if (f.size() < 8 || f[1] != local || !f[2].ends_with(remote_port)) continue;
		uid_t uid = 0;
		auto const [end, ec] = std::from_chars(f[7].data(), f[7].data() + f[7].size(), uid);
		if (ec != std::errc() || end != f[7].data() + f[7].size()) return std::nullopt;
		return uid;
	}
	return std::nullopt;
}

std::optional<uid_t> loopback_caller_uid(std::string_view peer, int server_port)
{
	bool ipv6 = false;
	if (peer.starts_with("ipv4:")) peer.remove_prefix(5);
	else if (peer.starts_with("ipv6:")) ipv6 = true, peer.remove_prefix(5);
	else return std::nullopt;
	auto const colon = peer.rfind(':');
	if (colon == std::string_view::npos) return std::nullopt;
	std::string_view host = peer.substr(0, colon);
	std::string_view const port_text = peer.substr(colon + 1);
	if (ipv6) {
		if (host.size() < 2 || host.front() != '[' || host.back() != ']') return std::nullopt;
		host = host.substr(1, host.size() - 2);
	}
	int port = 0;
	auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
	if (ec != std::errc() || end != port_text.data() + port_text.size()) return std::nullopt;
	boost::system::error_code error;
	lt::address const address = boost::asio::ip::make_address(std::string(host), error);
	if (error || address.is_v4() == ipv6 || !address.is_loopback()) return std::nullopt;
	if (ipv6) return find_socket_owner(read_all("/proc/net/tcp6"), address, port, server_port);
	// gRPC names a v4-mapped IPv6 socket (its listener is one) by its IPv4
	// address; the kernel lists such sockets in tcp6.
	if (auto const uid = find_socket_owner(read_all("/proc/net/tcp"), address, port, server_port)) return uid;
	lt::address const mapped = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4());
	return find_socket_owner(read_all("/proc/net/tcp6"), mapped, port, server_port);
}

bool uid_may_call(uid_t uid, gid_t gid)
{
	if (uid == 0 || uid == ::geteuid()) return true;
	if (gid == gid_t(-1)) return false;
	std::vector<char> buffer(16384);
	passwd entry{};
	passwd* found = nullptr;
	if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) return false;
	if (entry.pw_gid == gid) return true;
	int count = 64;
	std::vector<gid_t> groups(static_cast<std::size_t>(count));
	if (::getgrouplist(entry.pw_name, entry.pw_gid, groups.data(), &count) < 0) {
		groups.resize(std::size_t(count));
		if (::getgrouplist(entry.pw_name, entry.pw_gid, groups.data(), &count) < 0) return false;
	}
	groups.resize(std::size_t(count));
	for (gid_t const g : groups)
		if (g == gid) return true;
	return false;
}

}  // namespace ezio::rpc
