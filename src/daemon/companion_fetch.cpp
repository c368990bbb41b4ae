#include "daemon/companion_fetch.hpp"

#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/disabled_disk_io.hpp>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>

#include "common/hex.hpp"

namespace ezio::daemon {

Expected<std::shared_ptr<lt::torrent_info const>> fetch_companion_metadata(lt::sha1_hash const& companion,
	CompanionPeers const& peers, std::chrono::seconds limit, std::atomic<bool> const& stopping)
{
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
		// Plain BitTorrent, as every EZIO daemon speaks it (session_settings):
		// an encrypted first call is closed at once, and libtorrent calls in
		// the clear only a reconnect later (this was the 1 s every fetch
		// lost).
		s.set_int(lt::settings_pack::out_enc_policy, lt::settings_pack::pe_disabled);
		s.set_int(lt::settings_pack::in_enc_policy, lt::settings_pack::pe_disabled);
		// A peer whose companion has no free slot closes the call at once:
		// call again a second later.
		s.set_int(lt::settings_pack::min_reconnect_time, 1);
		s.set_int(lt::settings_pack::alert_mask,
			lt::alert_category::status | lt::alert_category::error | lt::alert_category::connect);
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

		auto const deadline = std::chrono::steady_clock::now() + limit;
		auto next_call = std::chrono::steady_clock::now();
		std::set<lt::tcp::endpoint> called;
		std::vector<lt::alert*> alerts;
		while (std::chrono::steady_clock::now() < deadline) {
			if (stopping.load(std::memory_order_relaxed))
				return Error{"the daemon is stopping", Errc::failed_precondition};
			// Every second, every peer that names it (those that turned us
			// away may have room now; riders that fetched it serve it too).
			if (std::chrono::steady_clock::now() >= next_call) {
				for (auto const& peer : peers()) {
					handle.connect_peer(peer);
					called.insert(peer);
				}
				next_call += std::chrono::seconds(1);
			}
			session.wait_for_alert(std::chrono::milliseconds(100));
			session.pop_alerts(&alerts);
			for (lt::alert const* a : alerts) {
				if (lt::alert_cast<lt::metadata_received_alert>(a)) {
					std::shared_ptr<lt::torrent_info const> info = handle.torrent_file();
					if (!info) return Error{"libtorrent lost the metadata it received", Errc::internal};
					return info;
				}
				if (lt::alert_cast<lt::peer_disconnected_alert>(a) || lt::alert_cast<lt::peer_connect_alert>(a))
					spdlog::debug("companion metadata: {}", a->message());
				if (auto const* failed = lt::alert_cast<lt::metadata_failed_alert>(a))
					return Error{fmt::format("its metadata is invalid: {}", failed->error.message()),
						Errc::invalid_argument};
			}
		}
		return Error{fmt::format("no metadata from {} peer(s) within {} s", called.size(), limit.count()),
			Errc::failed_precondition};
	} catch (std::exception const& e) {
		return Error{fmt::format("cannot fetch its metadata: {}", e.what()), Errc::internal};
	}
}

}  // namespace ezio::daemon
