#include "daemon/companion_fetch.hpp"

#include <fmt/format.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/disabled_disk_io.hpp>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>

#include "common/hex.hpp"

namespace ezio::daemon {

Expected<std::shared_ptr<lt::torrent_info const>> fetch_companion_metadata(lt::sha1_hash const& companion,
	std::vector<lt::tcp::endpoint> const& peers, std::chrono::seconds limit)
{
	if (peers.empty()) return Error{"no peer to fetch it from", Errc::invalid_argument};
	try {
		lt::settings_pack s;
		s.set_str(lt::settings_pack::listen_interfaces, "0.0.0.0:0");
		s.set_bool(lt::settings_pack::enable_dht, false);
		s.set_bool(lt::settings_pack::enable_lsd, false);
		s.set_bool(lt::settings_pack::enable_upnp, false);
		s.set_bool(lt::settings_pack::enable_natpmp, false);
		// TCP only: a first attempt over uTP to a peer that answers over
		// TCP costs a 3 s timeout.
		s.set_bool(lt::settings_pack::enable_outgoing_utp, false);
		s.set_bool(lt::settings_pack::enable_incoming_utp, false);
		s.set_int(lt::settings_pack::max_metadata_size, max_companion_metadata);
		// A first call is sometimes closed at once; the next one, a second
		// later, is answered.
		s.set_int(lt::settings_pack::min_reconnect_time, 1);
		s.set_int(lt::settings_pack::alert_mask, lt::alert_category::status | lt::alert_category::error);
		lt::session_params params(std::move(s), {});  // no PEX: only the peers given
		params.disk_io_constructor = lt::disabled_disk_io_constructor;
		lt::session session(std::move(params));

		lt::add_torrent_params add;
		add.info_hashes.v1 = companion;
		add.save_path = "/nonexistent/ezio-companion-metadata";
		add.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused);
		add.flags |= lt::torrent_flags::upload_mode | lt::torrent_flags::disable_pex;
		add.extensions.push_back(lt::create_ut_metadata_plugin);
		lt::torrent_handle const handle = session.add_torrent(std::move(add));
		for (auto const& peer : peers) handle.connect_peer(peer);

		auto const deadline = std::chrono::steady_clock::now() + limit;
		std::vector<lt::alert*> alerts;
		while (std::chrono::steady_clock::now() < deadline) {
			session.wait_for_alert(std::chrono::milliseconds(100));
			session.pop_alerts(&alerts);
			for (lt::alert const* a : alerts) {
				if (lt::alert_cast<lt::metadata_received_alert>(a)) {
					std::shared_ptr<lt::torrent_info const> info = handle.torrent_file();
					if (!info) return Error{"libtorrent lost the metadata it received", Errc::internal};
					return info;
				}
				if (auto const* failed = lt::alert_cast<lt::metadata_failed_alert>(a))
					return Error{fmt::format("its metadata is invalid: {}", failed->error.message()),
						Errc::invalid_argument};
			}
		}
		return Error{fmt::format("no metadata from {} peer(s) within {} s", peers.size(), limit.count()),
			Errc::failed_precondition};
	} catch (std::exception const& e) {
		return Error{fmt::format("cannot fetch its metadata: {}", e.what()), Errc::internal};
	}
}

}  // namespace ezio::daemon
