// The durability gate's rules (docs/architecture.md, "The durability gate"),
// without a disk: finished only after a finishing sync succeeded, never
// after a failure until a restart, and a seed from the start.
#include "daemon/finish_gate.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

Status const ok = Ok{};
Status const eio = Error{"fdatasync of the target failed: Input/output error", Errc::io};

TEST(FinishGate, FinishedOnlyOnceTheFinishingSyncSucceeded)
{
	FinishGate gate;
	EXPECT_FALSE(gate.finished(true)) << "every piece hashed is not every piece on the disk";
	ASSERT_TRUE(gate.start_finishing());
	EXPECT_TRUE(gate.finishing());
	EXPECT_FALSE(gate.finished(true)) << "the sync is still running";
	gate.finishing_synced(ok);
	EXPECT_FALSE(gate.finishing());
	EXPECT_TRUE(gate.finished(true));
	EXPECT_FALSE(gate.finished(false)) << "finished means every piece, not every wanted one";
}

TEST(FinishGate, ASyncThatWasNotTheFinishingOneFinishesNothing)
{
	FinishGate gate;
	gate.finishing_synced(ok);  // a periodic durable record's sync, started before the last piece
	EXPECT_FALSE(gate.finished(true));
	EXPECT_FALSE(gate.failed());
}

TEST(FinishGate, AFailedSyncIsNeverFinishedWhateverFollows)
{
	FinishGate gate;
	ASSERT_TRUE(gate.start_finishing());
	gate.finishing_synced(eio);
	EXPECT_TRUE(gate.failed());
	EXPECT_EQ(gate.error(), eio.error());
	EXPECT_FALSE(gate.finished(true));
	EXPECT_FALSE(gate.start_finishing()) << "no sync is due for a failed torrent";
	gate.finishing_synced(ok);
	EXPECT_FALSE(gate.finished(true)) << "the kernel reports a lost write back once: a later sync proves nothing";
}

TEST(FinishGate, AFailureOfAnotherSyncFailsAFinishedTorrent)
{
	FinishGate gate;
	ASSERT_TRUE(gate.start_finishing());
	gate.finishing_synced(ok);
	gate.fail("fdatasync of the target failed: No space left on device");
	EXPECT_FALSE(gate.finished(true));
}

TEST(FinishGate, ARestartAfterAFailureStartsOver)
{
	FinishGate gate;
	ASSERT_TRUE(gate.start_finishing());
	gate.finishing_synced(eio);
	EXPECT_TRUE(gate.restart());
	EXPECT_FALSE(gate.failed());
	EXPECT_FALSE(gate.finished(true)) << "nothing it wrote counts until it is synced again";
	ASSERT_TRUE(gate.start_finishing());
	gate.finishing_synced(ok);
	EXPECT_TRUE(gate.finished(true));
	EXPECT_FALSE(gate.restart()) << "resuming a torrent that did not fail changes nothing";
	EXPECT_TRUE(gate.finished(true));
}

TEST(FinishGate, ASeedIsDurableFromTheStart)
{
	FinishGate const seed(true);
	EXPECT_TRUE(seed.finished(true));
}

}  // namespace
}  // namespace ezio::daemon
