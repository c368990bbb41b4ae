// ezioctl watch: a live view of every torrent of one or more daemons, and
// optionally the auto-stop policy that ends a deployment.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "cli/auto_stop.hpp"
#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace ezio::cli {

namespace {

struct WatchOptions {
	bool auto_stop = false;
	bool exit_when_done = false;
	double interval = 1.0;
	int wait = 90;
	int idle = 15;
	double ratio = 3.0;
};

// What watch knows about one daemon.
struct Daemon {
	std::string address;
	std::unique_ptr<Client> client;
	bool done = false;    // shut down by us, or settled
	bool failed = false;  // unreachable, or a torrent stopped on an error
	// Plain-line mode prints a torrent again only when something changed.
	std::map<std::string, std::pair<std::string, int>> last_printed;  // hash -> (note, progress %)
};

std::string clock_now()
{
	std::time_t const now = std::time(nullptr);
	char text[16];
	std::strftime(text, sizeof(text), "%H:%M:%S", std::localtime(&now));
	return text;
}

class Watch {
public:
	Watch(std::vector<std::string> const& addresses, std::string const& token, WatchOptions const& options)
		: m_options(options), m_tty(::isatty(1) != 0)
	{
		m_policy.ratio = options.ratio;
		m_policy.wait = std::chrono::seconds(options.wait);
		m_policy.idle = std::chrono::seconds(options.idle);
		for (auto const& a : addresses) m_daemons.push_back(Daemon{a, std::make_unique<Client>(a, token), false, false, {}});
	}

	int run()
	{
		for (bool first = true;; first = false) {
			std::vector<std::string> frame;
			bool all_done = true;
			bool all_finished = true;
			for (Daemon& d : m_daemons) {
				if (d.done) continue;
				auto status = d.client->status({});
				if (!status) {
					// Unreachable from the start is a usage error; later it
					// means the daemon went away.
					if (first) return fail(status.error());
					event(fmt::format("{}: {}", d.address, status.error()));
					d.done = d.failed = true;
					continue;
				}
				if (m_tty && m_daemons.size() > 1) frame.push_back(d.address);
				for (std::string const& hash : status->hashes()) {
					Torrent const& t = status->torrents().at(hash);
					frame.push_back(line_for(d, t));
					if (!settled(t) && !(t.is_finished() && !m_options.auto_stop)) all_finished = false;
				}
				if (status->torrents().empty()) all_finished = false;
				if (m_options.auto_stop) apply_policy(d, *status);
				if (!d.done) all_done = false;
			}
			draw(frame);
			if (m_options.auto_stop && all_done) break;
			if (m_options.exit_when_done && all_finished) break;
			std::this_thread::sleep_for(std::chrono::duration<double>(m_options.interval));
		}
		bool failed = false;
		for (Daemon const& d : m_daemons) failed = failed || d.failed;
		return failed ? 1 : 0;
	}

private:
	std::string line_for(Daemon& d, Torrent const& t)
	{
		std::string const line = watch_line(t);
		if (m_tty) return "  " + line;
		// Plain lines: a torrent is printed again when its state changes or
		// it advanced by 5 %.
		auto& [last_state, last_percent] = d.last_printed[t.hash()];
		std::string const state = fmt::format("{}|{}|{}|{}", t.state(), t.is_finished(), t.is_paused(), t.error());
		int const percent = int(t.progress() * 100);
		if (state == last_state && percent < last_percent + 5) return {};
		last_state = state;
		last_percent = percent;
		return fmt::format("{} {}{}", clock_now(), m_daemons.size() > 1 ? d.address + " " : "", line);
	}

	void apply_policy(Daemon& d, UpdateStatus const& status)
	{
		for (auto const& [hash, t] : status.torrents()) {
			std::string const why = pause_reason(t, m_policy);
			if (why.empty()) continue;
			auto const paused = d.client->pause(hash);
			event(paused ? fmt::format("paused {} '{}': {}", hash.substr(0, 10), t.name(), why)
						 : fmt::format("cannot pause {}: {}", hash.substr(0, 10), paused.error()));
		}
		if (!daemon_done(status)) return;
		if (any_error(status)) {
			for (auto const& [hash, t] : status.torrents())
				if (!t.error().empty()) event(fmt::format("{} '{}' failed: {}", hash.substr(0, 10), t.name(), t.error()));
			d.failed = true;
		}
		auto const down = d.client->shutdown();
		event(down ? fmt::format("{}: every torrent settled; daemon shut down", d.address)
				   : fmt::format("{}: cannot shut down: {}", d.address, down.error()));
		d.failed = d.failed || !down;
		d.done = true;
	}

	// A line that stays (above the live frame on a terminal).
	void event(std::string const& text)
	{
		m_events.push_back(fmt::format("{} {}", clock_now(), text));
	}

	void draw(std::vector<std::string> const& frame)
	{
		std::string out;
		if (m_tty) {
			// Move up over the previous frame and clear it, then print the
			// new events and frame.
			if (m_drawn > 0) out += fmt::format("\x1b[{}A\r\x1b[J", m_drawn);
			for (auto const& e : m_events) out += e + "\n";
			for (auto const& l : frame) out += l + "\x1b[K\n";
			m_drawn = int(frame.size());
		} else {
			for (auto const& l : frame)
				if (!l.empty()) out += l + "\n";
			for (auto const& e : m_events) out += e + "\n";
		}
		m_events.clear();
		std::fputs(out.c_str(), stdout);
		std::fflush(stdout);
	}

	WatchOptions const m_options;
	AutoStopPolicy m_policy;
	bool const m_tty;
	std::vector<Daemon> m_daemons;
	std::vector<std::string> m_events;
	int m_drawn = 0;
};

}  // namespace

void add_watch_command(CLI::App& app, Globals& g)
{
	auto o = std::make_shared<WatchOptions>();
	CLI::App* sub = app.add_subcommand("watch",
		"Live view of every torrent (progress, rates, ETA, peers, state, errors) of one daemon, or of several "
		"given with repeated -l");
	sub->add_flag("--auto-stop", o->auto_stop,
		"End the deployment: pause each finished torrent once it uploaded --ratio times its size, or after --wait "
		"seconds finished with no upload for --idle seconds; shut a daemon down when all its torrents are finished "
		"and paused. Exits 1 if any torrent ended in an error");
	sub->add_flag("--exit-when-done", o->exit_when_done,
		"Exit once every torrent is finished or failed (without pausing or shutting down anything)");
	sub->add_option("--interval", o->interval, "Seconds between refreshes")->default_str("1")->check(CLI::Range(0.05, 3600.0));
	sub->add_option("--wait", o->wait, "Auto-stop: seconds a torrent stays finished before it may be paused")
		->default_str("90")->check(CLI::NonNegativeNumber);
	sub->add_option("--idle", o->idle, "Auto-stop: seconds without upload before a finished torrent may be paused")
		->default_str("15")->check(CLI::NonNegativeNumber);
	sub->add_option("--ratio", o->ratio, "Auto-stop: upload ratio that pauses a finished torrent at once")
		->default_str("3")->check(CLI::PositiveNumber);
	sub->callback([o, &g] { g.exit_code = Watch(g.addresses, g.token, *o).run(); });
}

}  // namespace ezio::cli
