// The connection count EZIO peers tell each other (docs/format.md, "Peer
// counts"). Stock clients ignore it.
//
// - In the extension handshake (BEP 10): "ezio_peers" is the number of
//   connections the sender holds for the torrent besides this one (those
//   a few seconds old), and "m" names the message "ezio_peers" under
//   which it sends later counts.
// - That message's payload is a bencoded dictionary {"n": count}, sent
//   when the count changed, at most once a second.
//
// Everything read here comes from a peer: a count outside 0..max_count, a
// message id outside 1..255 or a payload that is not such a dictionary is
// ignored.
#pragma once

#include <optional>
#include <string>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/span.hpp>

namespace ezio::swarm {

inline constexpr char const* peer_count_name = "ezio_peers";
// The id peers use to send us the message (ours to choose; clear of the
// ids libtorrent itself handles: upload_only 3, holepunch 4, dont_have 7,
// share_mode 8, and the ut_ plugins 1 and 2).
inline constexpr int peer_count_msg_id = 42;
inline constexpr int max_count = 100000;
// Longer payloads are not read.
inline constexpr int max_peer_count_payload = 64;

// Adds our count and our message id to an extension handshake.
void add_peer_count(lt::entry& handshake, int count);

struct PeerCountHandshake {
	int msg_id = 0;  // 0: the peer takes no count messages
	std::optional<int> count;
};
PeerCountHandshake read_peer_count(lt::bdecode_node const& handshake);

// A whole extended message (length prefix, 20, the peer's id, payload).
std::string peer_count_message(int peer_msg_id, int count);
// The payload of a count message.
std::optional<int> parse_peer_count(lt::span<char const> payload);

}  // namespace ezio::swarm
