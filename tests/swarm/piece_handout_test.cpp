#include "swarm/piece_handout.hpp"
#include "swarm/handout_plugin.hpp"

#include <array>

#include <gtest/gtest.h>

namespace ezio::swarm {
namespace {

using namespace std::chrono_literals;
using Clock = PieceHandout::Clock;

constexpr PieceHandout::Peer a = 1, b = 2, c = 3;

class PieceHandoutTest : public ::testing::Test {
protected:
	Clock::time_point const t0 = Clock::now();
};

TEST_F(PieceHandoutTest, EachPieceGoesOutOnceBeforeAnyGoesOutTwice)
{
	PieceHandout handout(3, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	EXPECT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_FALSE(handout.may_serve(b, 0, t0)) << "piece 0 is on its way to a; pieces 1 and 2 have no copy yet";
	EXPECT_TRUE(handout.may_serve(b, 1, t0));
	EXPECT_EQ(handout.copies(0), 1);
	EXPECT_EQ(handout.copies(1), 1);
	EXPECT_EQ(handout.copies(2), 0);
	EXPECT_EQ(handout.tally().first_copies, 2);
	EXPECT_EQ(handout.tally().declined_not_rarest, 1);
}

TEST_F(PieceHandoutTest, AClientGoesOnWithItsPieceButStartsNoSecondOne)
{
	PieceHandout handout(4, 4);
	handout.add_peer(a);
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_TRUE(handout.may_serve(a, 0, t0 + 1s)) << "the next blocks of the piece in flight";
	EXPECT_FALSE(handout.may_serve(a, 2, t0 + 1s));
	EXPECT_EQ(handout.tally().declined_busy, 1);
	EXPECT_EQ(handout.in_flight(a), 1);
}

TEST_F(PieceHandoutTest, AHaveTurnsTheFlightIntoACopyHeldAndFreesTheClient)
{
	PieceHandout handout(3, 4);
	handout.add_peer(a);
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	handout.peer_has(a, 0);
	handout.peer_has(a, 0);  // repeated: counts once
	EXPECT_EQ(handout.copies(0), 1);
	EXPECT_EQ(handout.in_flight(a), 0);
	EXPECT_FALSE(handout.may_serve(a, 0, t0)) << "it has it";
	EXPECT_TRUE(handout.may_serve(a, 1, t0));
}

TEST_F(PieceHandoutTest, OnceEveryPieceHasACopyTheRarestGetTheNextCopies)
{
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	handout.add_peer(c);
	handout.peer_has(a, 0);
	handout.peer_has(b, 0);
	handout.peer_has(b, 1);
	// c lacks both: piece 0 has two copies, piece 1 one.
	EXPECT_FALSE(handout.may_serve(c, 0, t0));
	EXPECT_TRUE(handout.may_serve(c, 1, t0));
	EXPECT_EQ(handout.copies(1), 2);
	EXPECT_EQ(handout.tally().more_copies, 1);
	// a lacks only piece 1: it is the rarest a lacks, whatever its count.
	handout.peer_has(c, 1);
	EXPECT_TRUE(handout.may_serve(a, 1, t0));
}

TEST_F(PieceHandoutTest, AClientThatLeavesGivesBackWhatItHadAndWhatWasInFlight)
{
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	handout.peer_has(a, 0);
	ASSERT_TRUE(handout.may_serve(a, 1, t0));
	handout.remove_peer(a);
	handout.remove_peer(a);  // libtorrent may tell twice: disconnect, then destruction
	EXPECT_EQ(handout.copies(0), 0);
	EXPECT_EQ(handout.copies(1), 0);
	EXPECT_EQ(handout.tally().lost_flights, 1) << "counted once";
	EXPECT_TRUE(handout.may_serve(b, 1, t0)) << "piece 1 is fresh again";
}

TEST_F(PieceHandoutTest, AFlightNobodyAsksForExpires)
{
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	handout.expire_stale(t0 + 4s, 5s);
	EXPECT_EQ(handout.in_flight(a), 1);
	ASSERT_TRUE(handout.may_serve(a, 0, t0 + 4s));  // asked again: still fresh
	handout.expire_stale(t0 + 8s, 5s);
	EXPECT_EQ(handout.in_flight(a), 1);
	EXPECT_EQ(handout.tally().stale_flights, 0);
	handout.expire_stale(t0 + 10s, 5s);
	EXPECT_EQ(handout.in_flight(a), 0);
	EXPECT_EQ(handout.tally().stale_flights, 1);
	EXPECT_EQ(handout.copies(0), 0);
	EXPECT_TRUE(handout.may_serve(b, 0, t0 + 10s));
}

TEST_F(PieceHandoutTest, AFlightWhoseBlocksAreStillGoingOutDoesNotExpire)
{
	// A client on a slow link asks for all 4 blocks at once; the seeder
	// sends them over 8 s.
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	for (int block = 0; block < 4; ++block) ASSERT_TRUE(handout.may_serve(a, 0, t0));
	handout.sent(a, 0, t0 + 4s);
	handout.sent(a, 1, t0 + 6s);  // not its piece in flight: changes nothing
	handout.expire_stale(t0 + 8s, 5s);
	EXPECT_EQ(handout.in_flight(a), 1) << "a block went out 4 s ago";
	EXPECT_EQ(handout.copies(0), 1) << "not handed out again";
	handout.sent(a, 0, t0 + 8s);
	handout.expire_stale(t0 + 14s, 5s);
	EXPECT_EQ(handout.in_flight(a), 0) << "nothing asked or sent for 6 s";
	EXPECT_EQ(handout.tally().stale_flights, 1);
}

TEST_F(PieceHandoutTest, BlocksBeyondAFirstCopyOfTheirPieceAreCounted)
{
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	for (int block = 0; block < 4; ++block) handout.sent(a, 0, t0);
	handout.sent(a, 1, t0);
	EXPECT_EQ(handout.tally().blocks_sent, 5);
	EXPECT_EQ(handout.tally().blocks_resent, 0) << "each block of piece 0 once, one of piece 1";
	handout.sent(b, 0, t0);  // a second copy of piece 0 begins
	handout.sent(b, 1, t0);
	handout.sent(b, 7, t0);  // not a piece of this torrent
	EXPECT_EQ(handout.tally().blocks_sent, 7);
	EXPECT_EQ(handout.tally().blocks_resent, 1);
}

TEST_F(PieceHandoutTest, ASeedIsNeverServedAndDoesNotCount)
{
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	handout.peer_has(a, 0);
	handout.peer_has_all(a);
	EXPECT_EQ(handout.copies(0), 0);
	EXPECT_FALSE(handout.may_serve(a, 1, t0));
	EXPECT_TRUE(handout.may_serve(b, 0, t0));
	handout.remove_peer(a);
	EXPECT_EQ(handout.copies(0), 1) << "only b's flight is left";
}

TEST_F(PieceHandoutTest, ADontHaveTakesTheCopyBack)
{
	PieceHandout handout(2, 4);
	handout.add_peer(a);
	handout.peer_has(a, 1);
	handout.peer_lost(a, 1);
	handout.peer_lost(a, 1);
	EXPECT_EQ(handout.copies(1), 0);
}

TEST_F(PieceHandoutTest, WhatItDoesNotKnowItDoesNotRefuse)
{
	PieceHandout handout(2, 4);
	EXPECT_TRUE(handout.may_serve(a, 0, t0)) << "a peer it was not told of";
	handout.add_peer(a);
	EXPECT_TRUE(handout.may_serve(a, 7, t0)) << "a piece out of range is libtorrent's to refuse";
	handout.peer_has(a, -1);
	handout.peer_has(a, 2);
	EXPECT_EQ(handout.copies(0) + handout.copies(1), 0);
}

TEST_F(PieceHandoutTest, TheNextPieceMayStartWhenThreeQuartersOfOneWereAskedFor)
{
	PieceHandout handout(4, 8);  // 8 blocks a piece: busy until 6 were asked for
	handout.add_peer(a);
	for (int block = 0; block < 5; ++block) ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_FALSE(handout.may_serve(a, 1, t0));
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_TRUE(handout.may_serve(a, 1, t0)) << "a lone client's requests run on into its next piece";
	EXPECT_EQ(handout.in_flight(a), 2);
	for (int block = 0; block < 8; ++block) ASSERT_TRUE(handout.may_serve(a, 1, t0));
	EXPECT_FALSE(handout.may_serve(a, 2, t0)) << "never more than max_flights (two) pieces in flight";
}

TEST_F(PieceHandoutTest, APieceItsClientStoppedAskingForNoLongerKeepsItBusy)
{
	PieceHandout handout(4, 8);
	handout.add_peer(a);
	ASSERT_TRUE(handout.may_serve(a, 0, t0));  // one block of eight asked for
	auto const later = t0 + PieceHandout::idle_flight_after;
	EXPECT_FALSE(handout.may_serve(a, 1, later - 1ms)) << "piece 0 is still being asked for";
	EXPECT_TRUE(handout.may_serve(a, 1, later)) << "asking for others only, it may start one";
	EXPECT_EQ(handout.in_flight(a), 2) << "piece 0 stays in flight (until expire_stale)";
	EXPECT_TRUE(handout.may_serve(a, 0, later)) << "and it may come back to it";
	// A block sent keeps a flight active as a request does.
	handout.sent(a, 1, later + PieceHandout::idle_flight_after - 1ms);
	EXPECT_FALSE(handout.may_serve(a, 2, later + PieceHandout::idle_flight_after))
		<< "a block of piece 1 went out just now, and one of its eight was asked for";
}

TEST_F(PieceHandoutTest, AClientAtTheCapGetsItsNextPieceOnceOneCameIn)
{
	int const pieces = int(PieceHandout::max_flights) + 4;
	PieceHandout handout(pieces, 4);
	handout.add_peer(a);
	// A client whose queue runs ahead asks for every block of one piece
	// after the other.
	int piece = 0;
	for (; piece < pieces; ++piece) {
		if (!handout.may_serve(a, piece, t0)) break;
		for (int block = 1; block < 4; ++block) ASSERT_TRUE(handout.may_serve(a, piece, t0));
	}
	EXPECT_EQ(piece, int(PieceHandout::max_flights)) << "the cap holds";
	EXPECT_EQ(handout.in_flight(a), int(PieceHandout::max_flights));
	handout.peer_has(a, 0);
	EXPECT_TRUE(handout.may_serve(a, piece, t0)) << "one came in: room for the next";
}

TEST_F(PieceHandoutTest, AClientExpectsRequestsUntilEveryBlockOfItsPieceWasAskedFor)
{
	PieceHandout handout(4, 4);
	handout.add_peer(a);
	EXPECT_FALSE(handout.expects_requests(a)) << "nothing in flight";
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_TRUE(handout.expects_requests(a)) << "three blocks of piece 0 still to ask for";
	for (int block = 1; block < 4; ++block) ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_FALSE(handout.expects_requests(a)) << "every block asked for: refusing it more is safe";
	handout.peer_has(a, 0);
	EXPECT_FALSE(handout.expects_requests(a));
	EXPECT_FALSE(handout.expects_requests(b)) << "a peer it does not know";
}

TEST_F(PieceHandoutTest, TheSuggestionIsThePieceItWouldBeGiven)
{
	PieceHandout handout(4, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	handout.add_peer(c);
	EXPECT_EQ(handout.suggestion(9), -1) << "a peer it does not know";
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	handout.peer_has(a, 0);
	handout.peer_has(b, 1);
	handout.peer_has(b, 2);
	// c lacks everything; only piece 3 has no copy yet.
	int const piece = handout.suggestion(c);
	EXPECT_EQ(piece, 3);
	EXPECT_TRUE(handout.may_serve(c, piece, t0)) << "the piece suggested is granted";
	EXPECT_NE(handout.suggestion(c), 3) << "not the piece already in flight to it";
	handout.peer_has(a, 3);
	EXPECT_EQ(handout.suggestion(b), 0) << "b lacks 0 and 3; 0 has one copy, 3 two (a, and in flight to c)";
	for (int p = 0; p < 4; ++p) handout.peer_has(b, p);
	EXPECT_EQ(handout.suggestion(b), -1) << "it has everything";
	handout.peer_has_all(a);
	EXPECT_EQ(handout.suggestion(a), -1) << "a seed is never served";
}

TEST_F(PieceHandoutTest, ClientsWithTheSameNeedsAreSuggestedDifferentPieces)
{
	PieceHandout handout(64, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	EXPECT_NE(handout.suggestion(a), handout.suggestion(b));
}

}  // namespace
}  // namespace ezio::swarm

namespace ezio::swarm {
namespace {

TEST_F(PieceHandoutTest, AClientRefusedTooLongWithoutANewPieceIsServedAsItAsks)
{
	// Clients that know only the seeder: b's picker kept asking for pieces
	// that a already has, was refused every time, and the deploy stalled.
	// While any client announces pieces the swarm moves: no exception.
	PieceHandout handout(4, 4);
	handout.add_peer(a);
	handout.add_peer(b);
	handout.add_peer(c);
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	handout.peer_has(a, 0);
	handout.peer_has(a, 1);
	handout.peer_has(a, 3);
	EXPECT_FALSE(handout.may_serve(b, 0, t0)) << "piece 2 has no copy yet";
	handout.peer_has(b, 1);  // from a: progress
	EXPECT_FALSE(handout.may_serve(b, 0, t0 + 2s));
	handout.peer_has(c, 1);  // another client's progress counts too
	EXPECT_FALSE(handout.may_serve(b, 0, t0 + 4s));
	EXPECT_FALSE(handout.may_serve(b, 0, t0 + 8s)) << "a piece was announced at 4 s";
	EXPECT_TRUE(handout.may_serve(b, 0, t0 + 9s)) << "5 s without a new piece anywhere";
	EXPECT_TRUE(handout.may_serve(b, 3, t0 + 9s)) << "from then on, whatever it asks, busy or not";
	EXPECT_EQ(handout.tally().starving_clients, 1);
	EXPECT_EQ(handout.copies(3), 2);
}

TEST_F(PieceHandoutTest, ClientsThatNeverTradeAreServedAsTheyAskOnceThatIsClear)
{
	// A star: every client knows only the seeder (bench/delta's clients).
	// Each gets pieces only from the seeder, while the others keep
	// announcing theirs, so the swarm never looks stuck.
	PieceHandout handout(6, 4);
	for (auto const peer : {a, b, c}) handout.add_peer(peer);
	for (int piece = 0; piece < 3; ++piece) {
		auto const peer = std::array{a, b, c}[std::size_t(piece)];
		ASSERT_TRUE(handout.may_serve(peer, piece, t0));
		handout.peer_has(peer, piece, t0 + 1s);  // the piece in flight to it: from the seeder
	}
	// Piece 3..5 have no copy: asking for 0 (a holds it) is refused...
	EXPECT_FALSE(handout.may_serve(b, 0, t0 + 5s));
	ASSERT_TRUE(handout.may_serve(c, 3, t0 + 5s));
	handout.peer_has(c, 3, t0 + 9s);
	EXPECT_FALSE(handout.may_serve(b, 0, t0 + 10s)) << "9 s after the first piece held: not yet clear";
	EXPECT_TRUE(handout.may_serve(b, 0, t0 + 11s)) << "10 s after it and no client got a piece from another";
	EXPECT_EQ(handout.tally().starving_clients, 1);

	// The same, but one client got a piece the seeder did not send it: the
	// clients trade, and refusals stand while the swarm moves.
	PieceHandout trading(6, 4);
	for (auto const peer : {a, b, c}) trading.add_peer(peer);
	ASSERT_TRUE(trading.may_serve(a, 0, t0));
	trading.peer_has(a, 0, t0 + 1s);
	ASSERT_TRUE(trading.may_serve(c, 1, t0 + 1s));
	trading.peer_has(c, 1, t0 + 2s);
	trading.peer_has(c, 0, t0 + 8s);  // from a
	EXPECT_FALSE(trading.may_serve(b, 0, t0 + 12s)) << "piece 2 has no copy; the swarm moved at 8 s";
	EXPECT_EQ(trading.tally().starving_clients, 0);

	// A piece a client had when it connected is not a trade.
	PieceHandout resumed(6, 4);
	for (auto const peer : {a, b}) resumed.add_peer(peer);
	resumed.peer_had(a, 0, t0);
	resumed.peer_had(a, 1, t0);
	ASSERT_TRUE(resumed.may_serve(a, 2, t0 + 1s));
	resumed.peer_has(a, 2, t0 + 2s);
	ASSERT_TRUE(resumed.may_serve(b, 3, t0 + 2s));
	resumed.peer_has(b, 3, t0 + 3s);
	ASSERT_TRUE(resumed.may_serve(b, 4, t0 + 4s));
	resumed.peer_has(b, 4, t0 + 6s);
	EXPECT_TRUE(resumed.may_serve(b, 0, t0 + 10s)) << "10 s after a held its first pieces, nobody traded";
}

TEST(PieceHandoutBlocks, AShortPieceFreesItsClientAfterThreeQuartersOfItsOwnBlocks)
{
	// A chunked torrent: piece 0 is 4 blocks of data in a 256-block piece.
	PieceHandout handout(std::vector<int>{4, 256, 256});
	PieceHandout::Peer const a = 1;
	auto const t0 = PieceHandout::Clock::now();
	handout.add_peer(a);
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_FALSE(handout.may_serve(a, 1, t0)) << "one block of four asked for: still busy";
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	ASSERT_TRUE(handout.may_serve(a, 0, t0));
	EXPECT_TRUE(handout.may_serve(a, 1, t0)) << "three of its four blocks asked for: the next may start";
}

TEST(PieceHandoutBlocks, PadBlocksAreNotAskedFor)
{
	lt::file_storage files;
	files.add_file("d/a", 20000);
	files.add_file("d/.pad/45536", 65536 - 20000, lt::file_storage::flag_pad_file);
	files.add_file("d/b", 100);
	files.set_piece_length(65536);
	files.set_num_pieces(2);
	EXPECT_EQ(blocks_to_ask_for(files), (std::vector<int>{2, 1}));
}

}  // namespace
}  // namespace ezio::swarm
