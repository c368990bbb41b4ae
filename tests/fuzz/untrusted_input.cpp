#include "fuzz/untrusted_input.hpp"

#include <fmt/format.h>

#include "chunk/codec.hpp"
#include "chunk/layout.hpp"
#include "daemon/resume_store.hpp"
#include "storage/extent_map.hpp"
#include "swarm/companion_advert.hpp"
#include "swarm/peer_count.hpp"
#include "torrent/partclone_info.hpp"
#include "tracker/udp_protocol.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::fuzz {

namespace {

// An accepted chunk list: every byte it writes stays in its window, and it
// matches the torrent's pieces.
std::optional<std::string> check_chunk_layout(chunk::Layout const& layout, lt::torrent_info const& ti)
{
	if (layout.chunks.size() != std::size_t(ti.num_pieces())) return "chunk count differs from the piece count";
	if (layout.piece_hashes.size() != layout.chunks.size()) return "a chunk without its piece hash";
	if (layout.window != ti.piece_length()) return "the window is not the piece length";
	std::int64_t previous_window_end = 0;
	for (std::size_t k = 0; k < layout.chunks.size(); ++k) {
		auto const& c = layout.chunks[k];
		if (c.disk_offset < previous_window_end || c.disk_offset % layout.window != 0)
			return fmt::format("chunk {}'s window is unaligned or overlaps", k);
		previous_window_end = c.disk_offset + layout.window;
		std::int64_t sum = 0;
		std::int64_t end = 0;
		for (auto const& x : c.extents) {
			if (x.length <= 0 || x.offset < end || x.offset + x.length > layout.window)
				return fmt::format("chunk {} has an extent outside its window or overlapping", k);
			end = x.offset + x.length;
			sum += x.length;
		}
		if (sum != c.raw_length) return fmt::format("chunk {}'s extents do not add up", k);
		if (c.stored_length <= 0 || c.stored_length > layout.window) return fmt::format("chunk {}'s stored length", k);
	}
	if (layout.disk_end() > previous_window_end) return "the data ends beyond the last window";
	return std::nullopt;
}

}  // namespace

std::optional<std::string> check_chunk_frame(std::string_view data)
{
	if (data.size() < 2) return std::nullopt;
	// The first two bytes say how long the chunk claims to be (up to 64 KiB).
	chunk::Chunk c;
	c.codec = chunk::Codec::zstd;
	c.raw_length = 1 + (std::uint8_t(data[0]) | std::uint8_t(data[1]) << 8);
	c.extents = {{0, c.raw_length}};
	c.stored_length = std::int64_t(data.size() - 2);
	if (c.stored_length == 0) return std::nullopt;
	std::vector<char> raw(std::size_t(c.raw_length), 'x');
	c.sha256 = chunk::sha256(raw);  // of something else: a match would be a forgery
	auto const decoded = chunk::decode(c, std::span(data.data() + 2, data.size() - 2), raw);
	if (decoded && std::string_view(raw.data(), raw.size()) != std::string(raw.size(), 'x'))
		return "a chunk was accepted with data its SHA-256 does not describe";
	return std::nullopt;
}

std::optional<std::string> check_torrent(std::string_view data)
{
	auto const info = torrent::load_torrent(data);
	if (!info) return std::nullopt;
	lt::torrent_info const& ti = **info;
	auto const chunked = chunk::read_layout(ti);
	if (!chunked) return std::nullopt;
	if (chunked->has_value()) return check_chunk_layout(**chunked, ti);
	auto const extents = storage::ExtentMap::build(ti.files());
	if (!extents) return std::nullopt;

	// Accepted: the layout must make sense, and mapping any piece must stay
	// inside the extents.
	if (extents->num_pieces() != ti.num_pieces()) return "piece count differs from libtorrent's";
	if (extents->total_size() != ti.total_size()) return "total size differs from libtorrent's";
	if (extents->end().value() < extents->total_size()) return "extents end before the data they hold";
	std::vector<storage::DiskRun> runs;
	for (int p : {0, ti.num_pieces() / 2, ti.num_pieces() - 1}) {
		if (p < 0) continue;
		lt::piece_index_t const piece(p);
		int const size = extents->piece_size(piece);
		if (size <= 0 || size > ti.piece_length()) return fmt::format("piece {} has size {}", p, size);
		runs.clear();
		extents->map(piece, 0, size, runs);
		std::int64_t mapped = 0;
		for (auto const& run : runs) {
			if (run.offset.value() < 0 || run.end().value() > extents->end().value())
				return fmt::format("piece {} maps outside the extents", p);
			mapped += run.length;
		}
		if (mapped != size) return fmt::format("piece {} maps {} of its {} bytes", p, mapped, size);
	}
	return std::nullopt;
}

std::optional<std::string> check_partclone_info(std::string_view text)
{
	auto const info = torrent::parse_partclone_info(text);
	if (!info) return std::nullopt;
	std::int64_t previous_end = 0;
	for (auto const& e : info->extents) {
		if (e.offset < previous_end) return "extents unsorted or overlapping";
		if (e.length <= 0) return "an empty extent";
		if (e.offset > INT64_MAX - e.length) return "an extent past 2^63";
		previous_end = e.offset + e.length;
	}
	if (info->block_size > 0 && info->blocks_total > 0 && info->blocks_total <= INT64_MAX / info->block_size
		&& previous_end > info->block_size * info->blocks_total)
		return "an extent past the end of the device";
	return std::nullopt;
}

std::optional<std::string> check_resume_record(std::string_view data)
{
	constexpr int pieces = 64;
	auto const target_only = daemon::parse_record(data, std::nullopt, -1);
	auto const record = daemon::parse_record(data, std::nullopt, pieces);
	if (record && !target_only) return "accepted with a bitmap but not without";
	for (auto const* r : {&target_only, &record}) {
		if (!*r) continue;
		if ((*r)->target.path.empty()) return "accepted without a target path";
		if ((*r)->target.size < 0) return "accepted with a negative target size";
	}
	if (record && record->have.size() != pieces) return "the bitmap is not exactly the torrent's length";
	if (record) {
		auto const again = daemon::parse_record(data, record->info_hash, pieces);
		if (!again) return "refused when asked for its own info-hash";
		for (lt::piece_index_t p{0}; p < record->have.end_index(); ++p)
			if (again->have[p] != record->have[p]) return "the bitmap depends on how the record was asked for";
	}
	return std::nullopt;
}

std::optional<std::string> check_udp_datagram(std::string_view data)
{
	auto const request = tracker::parse_udp_request(data);
	if (!request || request->action != tracker::UdpAction::announce) return std::nullopt;
	tracker::Announce const& a = request->announce;
	if (a.left < 0) return "a negative left";
	if (a.port == 0) return "port 0";
	if (a.numwant < 0 || a.numwant > tracker::max_numwant) return "numwant out of range";
	return std::nullopt;
}

std::optional<std::string> check_peer_count(std::string_view data)
{
	lt::error_code ec;
	lt::bdecode_node const handshake = lt::bdecode({data.data(), std::ptrdiff_t(data.size())}, ec, nullptr, 100, 1000);
	if (!ec) {
		auto const said = swarm::read_peer_count(handshake);
		if (said.msg_id < 0 || said.msg_id > 255) return "a message id out of range";
		if (said.count && (*said.count < 0 || *said.count > swarm::max_count)) return "a count out of range";
		// A companion advert is read from the same handshake: a 20-byte
		// string, the integer 0, or nothing.
		auto const advert = swarm::read_companion_advert(handshake);
		if (advert.kind == swarm::CompanionAdvert::Kind::offers) {
			auto const raw = handshake.dict_find_string_value(swarm::companion_advert_name);
			if (raw.size() != 20 || lt::sha1_hash(raw.data()) != advert.companion)
				return "an advert that is not the key's 20 bytes";
		} else if (advert.kind == swarm::CompanionAdvert::Kind::declines) {
			if (handshake.dict_find_int_value(swarm::companion_advert_name, -1) != 0) return "a decline that is not 0";
		}
	}
	auto const count = swarm::parse_peer_count({data.data(), std::ptrdiff_t(data.size())});
	if (count && (*count < 0 || *count > swarm::max_count)) return "a message count out of range";
	return std::nullopt;
}

}  // namespace ezio::fuzz
