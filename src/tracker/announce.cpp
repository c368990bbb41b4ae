#include "tracker/announce.hpp"

#include <charconv>
#include <iterator>

#include <fmt/format.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

namespace ezio::tracker {

namespace {

// The single value of `key`, or an error if it is missing or repeated.
Expected<std::string> single(QueryParams const& params, std::string const& key)
{
	auto const [first, last] = params.equal_range(key);
	if (first == last) return Error{fmt::format("missing parameter '{}'", key), Errc::invalid_argument};
	if (std::next(first) != last) return Error{fmt::format("parameter '{}' is given more than once", key), Errc::invalid_argument};
	return first->second;
}

Expected<std::int64_t> number(QueryParams const& params, std::string const& key, std::int64_t low, std::int64_t high)
{
	auto text = single(params, key);
	if (!text) return text.error_value();
	std::int64_t value = 0;
	auto const [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
	if (ec != std::errc() || end != text->data() + text->size() || value < low || value > high)
		return Error{fmt::format("parameter '{}' is not a number from {} to {}", key, low, high), Errc::invalid_argument};
	return value;
}

void append_address(std::string& out, lt::address const& address)
{
	if (address.is_v4()) {
		auto const bytes = address.to_v4().to_bytes();
		out.append(reinterpret_cast<char const*>(bytes.data()), bytes.size());
	} else {
		auto const bytes = address.to_v6().to_bytes();
		out.append(reinterpret_cast<char const*>(bytes.data()), bytes.size());
	}
}

}  // namespace

Expected<Announce> parse_announce(QueryParams const& params)
{
	Announce a;
	auto hash = single(params, "info_hash");
	if (!hash) return hash.error_value();
	if (hash->size() != 20) return Error{fmt::format("info_hash is {} bytes, not 20", hash->size()), Errc::invalid_argument};
	a.info_hash = lt::sha1_hash(hash->data());

	auto peer_id = single(params, "peer_id");
	if (!peer_id) return peer_id.error_value();
	if (peer_id->size() != 20) return Error{fmt::format("peer_id is {} bytes, not 20", peer_id->size()), Errc::invalid_argument};
	a.peer_id = std::move(*peer_id);

	auto port = number(params, "port", 1, 65535);
	if (!port) return port.error_value();
	a.port = std::uint16_t(*port);

	auto left = number(params, "left", 0, std::numeric_limits<std::int64_t>::max());
	if (!left) return left.error_value();
	a.left = *left;

	if (params.count("event") != 0) {
		auto event = single(params, "event");
		if (!event) return event.error_value();
		if (*event == "started") a.event = Event::started;
		else if (*event == "completed") a.event = Event::completed;
		else if (*event == "stopped") a.event = Event::stopped;
		else if (event->empty() || *event == "empty" || *event == "paused") a.event = Event::none;
		else return Error{fmt::format("unknown event '{}'", *event), Errc::invalid_argument};
	}
	if (params.count("numwant") != 0) {
		// Clients ask for more than is sensible; cap rather than refuse.
		auto numwant = number(params, "numwant", 0, std::numeric_limits<std::int32_t>::max());
		if (!numwant) return numwant.error_value();
		a.numwant = int(std::min<std::int64_t>(*numwant, max_numwant));
	}
	// "compact=0" is not supported: every client since 2005 takes compact.
	if (auto const c = params.find("compact"); c != params.end() && c->second == "0")
		return Error{"only compact peer lists are served (compact=1)", Errc::invalid_argument};
	return a;
}

std::string encode_reply(AnnounceReply const& reply)
{
	lt::entry e(lt::entry::dictionary_t);
	e["interval"] = reply.interval;
	e["min interval"] = reply.min_interval;
	e["complete"] = reply.complete;
	e["incomplete"] = reply.incomplete;
	std::string v4, v6;
	for (auto const& peer : reply.peers) {
		std::string& out = peer.address().is_v4() ? v4 : v6;
		append_address(out, peer.address());
		out.push_back(char(peer.port() >> 8));
		out.push_back(char(peer.port() & 0xff));
	}
	e["peers"] = v4;
	if (!v6.empty()) e["peers6"] = v6;
	std::string out;
	lt::bencode(std::back_inserter(out), e);
	return out;
}

std::string encode_failure(std::string const& reason)
{
	lt::entry e(lt::entry::dictionary_t);
	e["failure reason"] = reason;
	std::string out;
	lt::bencode(std::back_inserter(out), e);
	return out;
}

}  // namespace ezio::tracker
