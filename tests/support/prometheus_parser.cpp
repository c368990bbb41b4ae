#include "support/prometheus_parser.hpp"

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace ezio::test {

namespace {

bool valid_name(std::string const& name)
{
	static std::regex const pattern("[a-zA-Z_:][a-zA-Z0-9_:]*");
	return std::regex_match(name, pattern);
}

// Reads `{a="x",b="y\"z"}` starting at text[pos] == '{'; leaves pos after '}'.
Expected<std::map<std::string, std::string>> parse_labels(std::string const& text, std::size_t& pos)
{
	std::map<std::string, std::string> labels;
	++pos;
	while (pos < text.size() && text[pos] != '}') {
		std::size_t const eq = text.find('=', pos);
		if (eq == std::string::npos) return Error{"label without '='", Errc::invalid_argument};
		std::string const name = text.substr(pos, eq - pos);
		if (!valid_name(name) || name.find(':') != std::string::npos) return Error{"bad label name '" + name + "'", Errc::invalid_argument};
		pos = eq + 1;
		if (pos >= text.size() || text[pos] != '"') return Error{"label value not quoted", Errc::invalid_argument};
		std::string value;
		for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
			if (text[pos] != '\\') {
				value += text[pos];
				continue;
			}
			if (++pos >= text.size()) return Error{"escape at the end", Errc::invalid_argument};
			char const c = text[pos];
			if (c == 'n') value += '\n';
			else if (c == '\\' || c == '"') value += c;
			else return Error{fmt::format("bad escape '\\{}'", c), Errc::invalid_argument};
		}
		if (pos >= text.size()) return Error{"unterminated label value", Errc::invalid_argument};
		++pos;  // the closing quote
		if (!labels.emplace(name, value).second) return Error{"label '" + name + "' twice", Errc::invalid_argument};
		if (pos < text.size() && text[pos] == ',') ++pos;
		else if (pos < text.size() && text[pos] != '}') return Error{"expected ',' or '}' after a label", Errc::invalid_argument};
	}
	if (pos >= text.size()) return Error{"labels not closed", Errc::invalid_argument};
	++pos;
	return labels;
}

}  // namespace

std::optional<double> Metrics::value(std::string const& name, std::map<std::string, std::string> const& labels) const
{
	for (MetricSample const& s : samples) {
		if (s.name != name) continue;
		bool match = true;
		for (auto const& [k, v] : labels) {
			auto const it = s.labels.find(k);
			match = match && it != s.labels.end() && it->second == v;
		}
		if (match) return s.value;
	}
	return std::nullopt;
}

Expected<Metrics> parse_prometheus_text(std::string const& text)
{
	Metrics metrics;
	std::set<std::string> seen_series;
	std::istringstream lines(text);
	std::string line;
	int number = 0;
	auto fail = [&](std::string const& why) { return Error{fmt::format("line {}: {}: '{}'", number, why, line), Errc::invalid_argument}; };
	while (std::getline(lines, line)) {
		++number;
		if (line.empty()) continue;
		if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
			std::string const rest = line.substr(7);
			std::size_t const space = rest.find(' ');
			if (space == std::string::npos) return fail("no text after the name");
			std::string const name = rest.substr(0, space);
			if (!valid_name(name)) return fail("bad metric name");
			MetricFamily& family = metrics.families[name];
			if (line[2] == 'H') {
				if (!family.help.empty()) return fail("second HELP");
				family.help = rest.substr(space + 1);
				continue;
			}
			static std::set<std::string> const types{"counter", "gauge", "histogram", "summary", "untyped"};
			if (!family.type.empty()) return fail("second TYPE");
			family.type = rest.substr(space + 1);
			if (types.count(family.type) == 0) return fail("unknown type");
			if (family.type == "counter" && !name.ends_with("_total")) return fail("a counter's name must end in _total");
			continue;
		}
		if (line[0] == '#') continue;  // other comments are allowed

		MetricSample sample;
		std::size_t pos = line.find_first_of("{ ");
		if (pos == std::string::npos) return fail("no value");
		sample.name = line.substr(0, pos);
		if (!valid_name(sample.name)) return fail("bad metric name");
		auto const family = metrics.families.find(sample.name);
		if (family == metrics.families.end() || family->second.type.empty()) return fail("sample before its TYPE");
		std::string series = sample.name;
		if (line[pos] == '{') {
			auto labels = parse_labels(line, pos);
			if (!labels) return fail(labels.error());
			sample.labels = std::move(labels.value());
			series = line.substr(0, pos);
		}
		if (pos >= line.size() || line[pos] != ' ') return fail("no space before the value");
		std::string const value = line.substr(pos + 1);
		char* end = nullptr;
		sample.value = std::strtod(value.c_str(), &end);
		if (value.empty() || *end != '\0') return fail("value is not a number");
		if (!seen_series.insert(series).second) return fail("series repeated");
		metrics.samples.push_back(std::move(sample));
	}
	return metrics;
}

}  // namespace ezio::test
