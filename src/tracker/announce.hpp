// The BitTorrent HTTP tracker protocol (BEP 3, compact peers BEP 23, IPv6
// peers BEP 7): what an announce asks, and what the tracker answers.
// Pure functions: no sockets, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/address.hpp>
#include <libtorrent/socket.hpp>

#include "common/expected.hpp"
#include "swarm/peer_rules.hpp"

namespace ezio::tracker {

enum class Event { none, started, completed, stopped };

struct Announce {
	lt::sha1_hash info_hash;
	std::string peer_id;     // 20 bytes
	std::uint16_t port = 0;  // the peer's BitTorrent port
	std::int64_t left = 0;   // bytes it still needs; 0 = a seed
	Event event = Event::none;
	int numwant = 50;
};

// The announce's query parameters, URL-decoded (as the HTTP server gives them).
using QueryParams = std::multimap<std::string, std::string>;

inline constexpr int max_numwant = 200;

// The most peers one answer hands out, whatever the announce asks for, and
// what the daemon asks any tracker for. With every peer known, libtorrent
// fills a torrent's few connection slots (Clonezilla asks for 6) with the
// peers it ranks highest, and that rank is a hash of the two addresses
// (BEP 40): the same for every run in a lab. At 16 clients it split the
// swarm into two clusters joined by a few connections, and the cluster
// farther from the seeder finished 10-15 s after the other, run after run.
// A few peers drawn at random per answer make each client's neighbours a
// random draw instead (docs/architecture.md, "Who connects to whom").
// More than 6, so that a client whose first picks are full still fills
// its slots; each announce (every 30 s) draws again.
inline constexpr int peers_per_answer = swarm::peers_per_answer;

// Checks and reads an announce. Errors say which parameter is wrong, for
// the "failure reason" the client logs.
Expected<Announce> parse_announce(QueryParams const& params);

struct AnnounceReply {
	int interval = 0;      // seconds until the next regular announce
	int min_interval = 0;  // the client must not announce sooner
	int complete = 0;      // seeds in the swarm
	int incomplete = 0;    // downloaders
	std::vector<lt::tcp::endpoint> peers;
};

// The bencoded answer: IPv4 peers compact in "peers", IPv6 in "peers6".
std::string encode_reply(AnnounceReply const& reply);
std::string encode_failure(std::string const& reason);

}  // namespace ezio::tracker
