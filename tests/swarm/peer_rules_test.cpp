// The peer rules' settings and limits (swarm/peer_rules.hpp).
#include <gtest/gtest.h>
#include <libtorrent/settings_pack.hpp>

#include "swarm/peer_rules.hpp"

namespace ezio::swarm {
namespace {

TEST(PeerRules, ASeederThatHandsPiecesOutHasNoUploadSlotLimit)
{
	PeerPolicy seeder;
	seeder.seed = true;
	seeder.super_seed = true;
	seeder.max_uploads = 5;  // Clonezilla's
	EXPECT_EQ(upload_slots(seeder), -1);

	PeerPolicy companion = seeder;  // no connection limit: the slots bound its fan-out
	companion.max_connections = -1;
	EXPECT_EQ(upload_slots(companion), 5);

	PeerPolicy plain_seeder = seeder;  // --no-super-seed: libtorrent's choker shares the link
	plain_seeder.super_seed = false;
	EXPECT_EQ(upload_slots(plain_seeder), 5);

	PeerPolicy client;  // a client has no handout, whatever the daemon's flag
	client.super_seed = true;
	client.max_uploads = 5;
	EXPECT_EQ(upload_slots(client), 5);
	client.max_uploads = 0;
	EXPECT_EQ(upload_slots(client), TorrentPeers::default_max_uploads);
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
