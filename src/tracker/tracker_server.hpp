// The built-in tracker (`ezio --tracker PORT`): answers BitTorrent
// announces over HTTP (http://HOST:PORT/announce) and UDP (BEP 15,
// udp://HOST:PORT/announce, the same port number) from one SwarmRegistry,
// so a lab needs no tracker software. It hands out peer lists only; it
// never touches a disk.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/socket.hpp>

#include "common/expected.hpp"
#include "common/http_server.hpp"
#include "common/mutex.hpp"
#include "tracker/swarm_registry.hpp"

namespace ezio::tracker {

class TrackerServer {
public:
	struct Config {
		std::string address = "0.0.0.0";
		int port = 6969;  // 0: any free port
		// Short on a LAN: announces are cheap, and a client that ran out of
		// peers to trade with learns of new ones soon.
		std::chrono::seconds interval{30};
		std::chrono::seconds min_interval{5};
		SwarmRegistry::Limits limits;
		// The torrents it tracks (like opentracker with a whitelist): an
		// announce of any other info-hash is refused without remembering
		// anything. Empty: any torrent.
		std::function<bool(lt::sha1_hash const&)> serves;
		HttpLimits http;
		bool udp = true;  // also serve BEP 15 on the same port number
	};

	// Binds and starts serving on its own threads (common/http_server.hpp
	// says which limits hold).
	static Expected<std::unique_ptr<TrackerServer>> start(Config const& config);
	~TrackerServer();  // stops serving

	int port() const { return m_server->port(); }
	SwarmRegistry const& registry() const { return m_registry; }

private:
	explicit TrackerServer(Config const& config);
	std::string handle_announce(std::multimap<std::string, std::string> const& params, std::string const& remote);
	// The answer to a checked announce from `address`, for both protocols.
	Expected<AnnounceReply> serve(Announce const& announce, lt::address const& address);
	// The UDP tracker: binds, then answers datagrams on m_udp_thread.
	Status start_udp();
	void udp_loop();
	std::string handle_datagram(std::string_view datagram, lt::udp::endpoint const& from);
	// BEP 15 connection ids: a keyed hash of the client's endpoint and the
	// current two minutes, so the tracker keeps no state per client.
	std::uint64_t connection_id(lt::udp::endpoint const& from, std::int64_t epoch) const;

	// A refusal is logged at most once per 10 s, with how many there were:
	// a flood of bad announces must not flood the log.
	void log_refusal(std::string const& why);

	Config const m_config;
	SwarmRegistry m_registry;
	Mutex m_log_mutex;
	std::chrono::steady_clock::time_point m_last_refusal_log EZIO_GUARDED_BY(m_log_mutex){};
	std::int64_t m_refusals_unlogged EZIO_GUARDED_BY(m_log_mutex) = 0;
	std::unique_ptr<HttpServer> m_server;
	int m_udp_fd = -1;
	int m_wake_fd = -1;  // written to stop the UDP thread
	std::atomic<bool> m_stopping{false};
	std::thread m_udp_thread;
	std::array<char, 16> m_secret{};  // keys the connection ids
};

}  // namespace ezio::tracker
