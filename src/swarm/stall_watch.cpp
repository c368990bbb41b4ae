#include "swarm/stall_watch.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace ezio::swarm {

bool StallWatch::update(bool wants_data, std::int64_t downloaded, Clock::time_point now)
{
	if (!wants_data) {
		m_downloaded = -1;  // the clock restarts when it wants data again
		return false;
	}
	if (downloaded != m_downloaded) {
		m_downloaded = downloaded;
		m_progress = now;
		return false;
	}
	if (now - m_progress < stalled_after) return false;
	if (m_acted && now - *m_acted < retry_after) return false;
	m_acted = now;
	return true;
}

std::string describe_peers(std::vector<lt::peer_info> const& peers)
{
	int choking = 0, wanted = 0, wanting = 0, served = 0;
	std::int64_t requests = 0;
	for (lt::peer_info const& p : peers) {
		if (p.flags & lt::peer_info::remote_choked) ++choking;
		if (p.flags & lt::peer_info::interesting) ++wanted;
		if (p.flags & lt::peer_info::remote_interested) {
			++wanting;
			if (!(p.flags & lt::peer_info::choked)) ++served;
		}
		requests += std::max(0, p.download_queue_length);
	}
	std::size_t const n = peers.size();
	if (n == 0) return "no peers";
	return fmt::format("{} peer{} ({} choke{} it; it wants pieces from {}, {} want{} pieces from it, {} of them "
					   "unchoked; {} request{} out)",
		n, n == 1 ? "" : "s", choking, choking == 1 ? "s" : "", wanted, wanting, wanting == 1 ? "s" : "", served,
		requests, requests == 1 ? "" : "s");
}

}  // namespace ezio::swarm
