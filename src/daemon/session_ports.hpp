// The durable finish's two ports (daemon/durability.hpp) on the real
// session: resume data is asked of a torrent's handle, a failed torrent is
// paused by the alert thread, and a target is synced by the raw engine (one
// flush barrier and one fdatasync) or, in -F mode, file by file through the
// Env, where libtorrent's own storage wrote it.
//
// Threads: any; it reaches the torrents only through the table's lock.
#pragma once

#include <functional>
#include <string>

#include "common/env.hpp"
#include "daemon/alert_pump.hpp"
#include "daemon/durability.hpp"
#include "daemon/torrent_table.hpp"

namespace ezio::storage {
class Engine;
}

namespace ezio::daemon {

class SessionPorts final : public SessionPort, public TargetPort {
public:
	// `engine` is the daemon's pointer to the raw engine (null in -F mode
	// and once the session stops), read at every sync.
	SessionPorts(TorrentTable& torrents, AlertPump& alerts, storage::Engine* const& engine, Env& env = Env::system())
		: m_torrents(torrents), m_alerts(alerts), m_engine(engine), m_env(env)
	{
	}

	void ask_resume_data(lt::sha1_hash const& info_hash) override;
	void stop(lt::sha1_hash const& info_hash) override;
	void sync(lt::sha1_hash const& info_hash, std::function<void(Status const&)> done) override;
	std::string stamp(lt::sha1_hash const& info_hash) override;

private:
	// -F mode: fdatasync of every file of the torrent.
	Status sync_files(lt::sha1_hash const& info_hash);

	TorrentTable& m_torrents;
	AlertPump& m_alerts;
	storage::Engine* const& m_engine;
	Env& m_env;
};

}  // namespace ezio::daemon
