#include "monitor/prometheus_text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace ezio::monitor {

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help)
{
	// HELP text escapes only \ and newlines.
	std::string escaped;
	for (char const c : help) {
		if (c == '\\') escaped += "\\\\";
		else if (c == '\n') escaped += "\\n";
		else escaped += c;
	}
	m_out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escaped, name, type);
}

void PrometheusText::sample(std::string_view name, Labels const& labels, double value)
{
	m_out += name;
	if (!labels.empty()) {
		m_out += '{';
		for (std::size_t i = 0; i < labels.size(); ++i) {
			if (i > 0) m_out += ',';
			m_out += fmt::format("{}=\"{}\"", labels[i].first, escape_label_value(labels[i].second));
		}
		m_out += '}';
	}
	if (std::isnan(value)) m_out += " NaN\n";
	else if (std::isinf(value)) m_out += value > 0 ? " +Inf\n" : " -Inf\n";
	// Integral values print exactly (byte counters pass 2^53 only after 8 PiB).
	else if (value == std::floor(value) && std::fabs(value) < 9e15) m_out += fmt::format(" {}\n", std::int64_t(value));
	else m_out += fmt::format(" {}\n", value);
}

std::string PrometheusText::escape_label_value(std::string_view value)
{
	std::string escaped;
	escaped.reserve(value.size());
	for (char const c : value) {
		if (c == '\\') escaped += "\\\\";
		else if (c == '"') escaped += "\\\"";
		else if (c == '\n') escaped += "\\n";
		else escaped += c;
	}
	return escaped;
}

}  // namespace ezio::monitor
