#pragma once

#include <libtorrent/extensions.hpp>
#include <libtorrent/file_storage.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "swarm/probation.hpp"

namespace ezio::swarm {

// The libtorrent side of PieceHandout, for a seeding torrent: a torrent
// plugin whose peer plugins see every client's HAVE messages and requests,
// serve what the policy allows and reject the rest (BEP 6 REJECT_REQUEST),
// so the client picks another piece or asks another peer. Clients without
// the fast extension cannot be told no: they are served as usual.
//
// For add_torrent_params::extensions; the plugin runs on libtorrent's
// network thread only. The piece count and length are given here because
// the factory runs on that thread, where a torrent_handle must not be asked
// anything.
using TorrentPluginFactory =
	std::function<std::shared_ptr<lt::torrent_plugin>(lt::torrent_handle const&, lt::client_data_t)>;
// `probation` (may be null): connections the room rule has not judged yet
// (connection_rules); they are served nothing until then.
TorrentPluginFactory handout_plugin(lt::file_storage const& files, std::shared_ptr<Probation const> probation = nullptr);

// Per piece, the blocks a client asks for: all of them but those entirely
// inside pad files (a chunked torrent's pad is never asked for).
std::vector<int> blocks_to_ask_for(lt::file_storage const& files);

}  // namespace ezio::swarm
