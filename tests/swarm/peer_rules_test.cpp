// The peer rules' settings and limits (swarm/peer_rules.hpp).
#include <gtest/gtest.h>
#include <libtorrent/settings_pack.hpp>

#include "swarm/peer_rules.hpp"

namespace ezio::swarm {
namespace {

TEST(PeerRules, UnderAConnectionLimitEveryPeerThatWantsDataIsUnchoked)
{
	PeerPolicy seeder;
	seeder.seed = true;
	seeder.super_seed = true;
	seeder.max_uploads = 5;  // Clonezilla's 5 of 6
	seeder.max_connections = 6;
	EXPECT_EQ(upload_slots(seeder), -1);

	PeerPolicy client = seeder;
	client.seed = false;
	EXPECT_EQ(upload_slots(client), -1);
	client.max_connections = 0;  // the default limit (5)
	EXPECT_EQ(upload_slots(client), -1);

	// No connection limit (a companion, or AddTorrent's -1): the slots bound
	// the fan-out.
	PeerPolicy companion = seeder;
	companion.max_connections = -1;
	EXPECT_EQ(upload_slots(companion), 5);
	companion.max_uploads = 0;
	EXPECT_EQ(upload_slots(companion), TorrentPeers::default_max_uploads);
}

TEST(PeerRules, AClientAsksEachPeerForOneSecondOfDataAhead)
{
	lt::settings_pack pack;
	peer_settings(pack);
	EXPECT_EQ(pack.get_int(lt::settings_pack::request_queue_time), request_queue_s);
	EXPECT_EQ(request_queue_s, 1);
	EXPECT_LT(request_queue_s, lt::default_settings().get_int(lt::settings_pack::request_queue_time));
}

}  // namespace
}  // namespace ezio::swarm
