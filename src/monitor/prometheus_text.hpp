// Writes Prometheus' text exposition format (version 0.0.4): for each
// metric family one HELP and one TYPE line, then its samples.
//
//   PrometheusText out;
//   out.family("ezio_torrent_peers", "gauge", "Peers connected to the torrent.");
//   out.sample("ezio_torrent_peers", {{"torrent", hash}}, 5);
//   std::string body = out.str();
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ezio::monitor {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
public:
	// Starts a family. `type` is "counter" or "gauge".
	void family(std::string_view name, std::string_view type, std::string_view help);
	void sample(std::string_view name, Labels const& labels, double value);

	std::string const& str() const { return m_out; }

	// A label value with \, " and newlines escaped as the format wants.
	static std::string escape_label_value(std::string_view value);

private:
	std::string m_out;
};

}  // namespace ezio::monitor
