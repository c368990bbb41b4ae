// A strict reader of Prometheus' text exposition format, for tests: it
// refuses anything a scraper would choke on, so a test that reads metrics
// also checks their syntax.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"

namespace ezio::test {

struct MetricSample {
	std::string name;
	std::map<std::string, std::string> labels;
	double value = 0;
};

struct MetricFamily {
	std::string type;  // counter, gauge, ...
	std::string help;
};

struct Metrics {
	std::map<std::string, MetricFamily> families;
	std::vector<MetricSample> samples;

	// The value of the one sample of `name` whose labels include `labels`;
	// nullopt if there is none.
	std::optional<double> value(std::string const& name, std::map<std::string, std::string> const& labels = {}) const;
};

// Every line must be a HELP, a TYPE or a sample of a family whose TYPE came
// before it; names and labels must be valid, counters end in _total, and
// no family or (name, labels) pair may repeat.
Expected<Metrics> parse_prometheus_text(std::string const& text);

}  // namespace ezio::test
