#include "swarm/peer_count.hpp"

#include <cstdint>

#include <libtorrent/bencode.hpp>

#include "swarm/bt_message.hpp"

namespace ezio::swarm {
namespace {

std::optional<int> valid_count(std::int64_t n)
{
	if (n < 0 || n > max_count) return std::nullopt;
	return int(n);
}

}  // namespace

void add_peer_count(lt::entry& handshake, int count)
{
	handshake["m"][peer_count_name] = peer_count_msg_id;
	handshake[peer_count_name] = count;
}

PeerCountHandshake read_peer_count(lt::bdecode_node const& handshake)
{
	PeerCountHandshake out;
	if (handshake.type() != lt::bdecode_node::dict_t) return out;
	if (auto const m = handshake.dict_find_dict("m")) {
		std::int64_t const id = m.dict_find_int_value(peer_count_name, 0);
		if (id >= 1 && id <= 255) out.msg_id = int(id);
	}
	if (auto const n = handshake.dict_find_int(peer_count_name)) out.count = valid_count(n.int_value());
	return out;
}

std::string peer_count_message(int peer_msg_id, int count)
{
	lt::entry payload;
	payload["n"] = count;
	std::string body;
	lt::bencode(std::back_inserter(body), payload);
	std::string out(6, '\0');
	put_u32(out.data(), std::uint32_t(body.size() + 2));
	out[4] = char(20);  // extended message (BEP 10)
	out[5] = char(peer_msg_id);
	return out + body;
}

std::optional<int> parse_peer_count(lt::span<char const> payload)
{
	if (payload.empty() || payload.size() > max_peer_count_payload) return std::nullopt;
	lt::error_code ec;
	lt::bdecode_node const node = lt::bdecode(payload, ec, nullptr, 4, 8);
	if (ec || node.type() != lt::bdecode_node::dict_t) return std::nullopt;
	auto const n = node.dict_find_int("n");
	if (!n) return std::nullopt;
	return valid_count(n.int_value());
}

}  // namespace ezio::swarm
