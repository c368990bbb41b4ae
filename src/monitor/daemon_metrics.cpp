#include "monitor/daemon_metrics.hpp"

#include <functional>

#include "common/version.hpp"
#include "monitor/prometheus_text.hpp"
#include "api/torrent_phase.hpp"

namespace ezio::monitor {

namespace {

using api::EngineFigures;
using api::TorrentStatus;
using api::eta_seconds;
using api::torrent_phase;
using api::torrent_phases;

struct TorrentMetric {
	char const* name;
	char const* type;
	char const* help;
	std::function<double(TorrentStatus const&)> value;
};

// One family per entry, one sample per torrent.
std::vector<TorrentMetric> const& torrent_metrics()
{
	static std::vector<TorrentMetric> const metrics = {
		{"ezio_torrent_progress_ratio", "gauge", "Share of the torrent's data verified, 0 to 1.",
			[](TorrentStatus const& t) { return t.progress; }},
		{"ezio_torrent_done_bytes", "gauge", "Bytes of the torrent's data verified.",
			[](TorrentStatus const& t) { return double(t.total_done); }},
		{"ezio_torrent_size_bytes", "gauge", "Bytes of data the torrent covers.",
			[](TorrentStatus const& t) { return double(t.total); }},
		{"ezio_torrent_disk_done_bytes", "gauge",
			"Bytes the verified pieces put on the target (a chunked torrent's, uncompressed).",
			[](TorrentStatus const& t) { return double(t.disk_done); }},
		{"ezio_torrent_disk_size_bytes", "gauge",
			"Bytes the torrent writes on the target (a chunked torrent's used bytes, uncompressed).",
			[](TorrentStatus const& t) { return double(t.disk_total); }},
		{"ezio_torrent_pieces_done", "gauge", "Pieces verified.",
			[](TorrentStatus const& t) { return double(t.num_pieces); }},
		{"ezio_torrent_pieces", "gauge", "Pieces in the torrent.",
			[](TorrentStatus const& t) { return double(t.pieces_total); }},
		{"ezio_torrent_downloaded_bytes_total", "counter", "Payload bytes received from peers.",
			[](TorrentStatus const& t) { return double(t.total_payload_download); }},
		{"ezio_torrent_uploaded_bytes_total", "counter", "Payload bytes sent to peers.",
			[](TorrentStatus const& t) { return double(t.total_payload_upload); }},
		{"ezio_torrent_download_rate_bytes_per_second", "gauge", "Payload download rate now.",
			[](TorrentStatus const& t) { return double(t.download_rate); }},
		{"ezio_torrent_upload_rate_bytes_per_second", "gauge", "Payload upload rate now.",
			[](TorrentStatus const& t) { return double(t.upload_rate); }},
		{"ezio_torrent_peers", "gauge", "Peers connected.", [](TorrentStatus const& t) { return double(t.num_peers); }},
		{"ezio_torrent_eta_seconds", "gauge", "Seconds to finish at the current rate; -1 if unknown.",
			[](TorrentStatus const& t) { return double(eta_seconds(t)); }},
		{"ezio_torrent_finished", "gauge", "1 once every piece is verified and the target is synced.",
			[](TorrentStatus const& t) { return t.is_finished ? 1.0 : 0.0; }},
		{"ezio_torrent_error", "gauge", "1 if the torrent stopped on an error (see ezio_torrent_error_info).",
			[](TorrentStatus const& t) { return t.error.empty() ? 0.0 : 1.0; }},
		{"ezio_torrent_active_seconds_total", "counter", "Seconds the torrent has been running.",
			[](TorrentStatus const& t) { return double(t.active_time); }},
	};
	return metrics;
}

Labels torrent_labels(TorrentStatus const& t)
{
	return {{"torrent", t.hash}, {"name", t.name}};
}

void write_torrents(PrometheusText& out, std::vector<TorrentStatus> const& torrents)
{
	out.family("ezio_torrents", "gauge", "Torrents in the daemon.");
	out.sample("ezio_torrents", {}, double(torrents.size()));
	if (torrents.empty()) return;
	for (auto const& m : torrent_metrics()) {
		out.family(m.name, m.type, m.help);
		for (auto const& t : torrents) out.sample(m.name, torrent_labels(t), m.value(t));
	}
	// A state set: one sample per phase, 1 for the torrent's own.
	out.family("ezio_torrent_state", "gauge", "1 for the phase the torrent is in, 0 for the others.");
	for (auto const& t : torrents) {
		std::string_view const phase = torrent_phase(t);
		for (std::string_view const p : torrent_phases) {
			Labels labels = torrent_labels(t);
			labels.emplace_back("state", std::string(p));
			out.sample("ezio_torrent_state", labels, p == phase ? 1 : 0);
		}
	}
	out.family("ezio_torrent_error_info", "gauge", "Why a torrent stopped, for torrents in error.");
	for (auto const& t : torrents) {
		if (t.error.empty()) continue;
		Labels labels = torrent_labels(t);
		labels.emplace_back("message", t.error);
		out.sample("ezio_torrent_error_info", labels, 1);
	}
}

void write_engine(PrometheusText& out, EngineFigures const& e)
{
	struct EngineMetric {
		char const* name;
		char const* type;
		char const* help;
		double value;
	};
	api::EngineStatsSnapshot const& c = e.counters;
	auto const seconds = [](std::int64_t micros) { return double(micros) / 1e6; };
	EngineMetric const metrics[] = {
		{"ezio_engine_budget_bytes", "gauge", "The memory budget for every block buffer (--cache-size).",
			double(e.budget_bytes)},
		{"ezio_engine_budget_used_bytes", "gauge", "Bytes of the budget in use now.", double(e.budget_used_bytes)},
		{"ezio_engine_budget_peak_bytes", "gauge", "Most bytes of the budget ever in use.",
			double(e.budget_peak_bytes)},
		{"ezio_engine_writes_total", "counter", "Vectored writes to targets.", double(c.write_ops)},
		{"ezio_engine_written_bytes_total", "counter", "Bytes written to targets.", double(c.write_bytes)},
		{"ezio_engine_write_seconds_total", "counter", "Time spent in writes.", seconds(c.write_micros)},
		{"ezio_engine_reads_total", "counter", "Vectored reads from targets.", double(c.read_ops)},
		{"ezio_engine_read_bytes_total", "counter", "Bytes read from targets.", double(c.read_bytes)},
		{"ezio_engine_read_seconds_total", "counter", "Time spent in reads.", seconds(c.read_micros)},
		{"ezio_engine_syncs_total", "counter", "fdatasync calls on targets.", double(c.sync_ops)},
		{"ezio_engine_io_errors_total", "counter", "Reads, writes and syncs that failed.", double(c.io_errors)},
		{"ezio_engine_cache_hits_total", "counter", "16 KiB blocks served from memory.", double(c.cache_hits)},
		{"ezio_engine_cache_misses_total", "counter", "16 KiB blocks that needed a read.", double(c.cache_misses)},
		{"ezio_engine_backpressure_events_total", "counter",
			"Times the budget's high mark made peers wait for the disk.", double(c.backpressure_events)},
		{"ezio_engine_hashed_blocks_total", "counter", "16 KiB blocks hashed.", double(c.blocks_hashed)},
		{"ezio_engine_hash_seconds_total", "counter", "Time spent hashing.", seconds(c.hash_micros)},
		{"ezio_engine_chunks_decoded_total", "counter", "Chunks of chunked torrents decoded and written.",
			double(c.chunks_decoded)},
		{"ezio_engine_chunks_remade_total", "counter", "Chunks made again from a target to be served.",
			double(c.chunks_remade)},
		{"ezio_engine_chunk_seconds_total", "counter", "Time spent decoding and making chunks.",
			seconds(c.chunk_micros)},
	};
	for (auto const& m : metrics) {
		out.family(m.name, m.type, m.help);
		out.sample(m.name, {}, m.value);
	}
}

}  // namespace

std::string render_metrics(std::vector<TorrentStatus> const& torrents, EngineFigures const& engine)
{
	PrometheusText out;
	out.family("ezio_build_info", "gauge", "The running ezio's version and storage mode.");
	out.sample("ezio_build_info", {{"version", version()}, {"mode", engine.raw_mode ? "raw" : "file"}}, 1);
	write_torrents(out, torrents);
	if (engine.raw_mode) write_engine(out, engine);
	return out.str();
}

}  // namespace ezio::monitor
