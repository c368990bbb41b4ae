// The durable finish's rules (daemon/durability.hpp, docs/resume.md) on the
// unit alone: fake ports instead of a session and a disk, a FakeEnv under
// its record store. No root, no libtorrent session; each test takes
// milliseconds.
#include "daemon/durability.hpp"

#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "support/fake_env.hpp"
#include "support/scratch_dir.hpp"

namespace ezio::daemon {
namespace {

using namespace std::chrono_literals;
using Op = test::FakeEnv::Op;

lt::sha1_hash const torrent = [] {
	lt::sha1_hash h;
	std::fill(h.begin(), h.end(), 'd');
	return h;
}();
constexpr int pieces = 8;

// The session and the target, faked: what was asked of them, and a sync
// whose outcome the test chooses (at once, or later by hand).
class FakePorts final : public SessionPort, public TargetPort {
public:
	void ask_resume_data(lt::sha1_hash const&) override
	{
		MutexLock lock(m_mutex);
		++m_asked;
	}
	void stop(lt::sha1_hash const&) override
	{
		MutexLock lock(m_mutex);
		++m_stopped;
	}
	void sync(lt::sha1_hash const&, std::function<void(Status const&)> done) override
	{
		Status outcome = Ok{};
		{
			MutexLock lock(m_mutex);
			++m_syncs;
			if (m_hold) {
				m_held.push_back(std::move(done));
				return;
			}
			outcome = m_outcome;
		}
		done(outcome);
	}
	std::string stamp(lt::sha1_hash const&) override
	{
		std::function<void()> on_stamp;
		{
			MutexLock lock(m_mutex);
			on_stamp = m_on_stamp;
		}
		if (on_stamp) on_stamp();
		return "boot=b1;file=1";
	}

	void fail_syncs(std::string const& why)
	{
		MutexLock lock(m_mutex);
		m_outcome = Error{why, Errc::io};
	}
	void hold_syncs()
	{
		MutexLock lock(m_mutex);
		m_hold = true;
	}
	// Ends the syncs held so far with `outcome`; later ones end at once.
	void release(Status const& outcome)
	{
		std::vector<std::function<void(Status const&)>> held;
		{
			MutexLock lock(m_mutex);
			m_hold = false;
			held.swap(m_held);
		}
		for (auto& done : held) done(outcome);
	}
	void on_stamp(std::function<void()> f)
	{
		MutexLock lock(m_mutex);
		m_on_stamp = std::move(f);
	}
	int asked() const
	{
		MutexLock lock(m_mutex);
		return m_asked;
	}
	int stopped() const
	{
		MutexLock lock(m_mutex);
		return m_stopped;
	}
	int syncs() const
	{
		MutexLock lock(m_mutex);
		return m_syncs;
	}
	int held() const
	{
		MutexLock lock(m_mutex);
		return int(m_held.size());
	}

private:
	mutable Mutex m_mutex;
	int m_asked EZIO_GUARDED_BY(m_mutex) = 0;
	int m_stopped EZIO_GUARDED_BY(m_mutex) = 0;
	int m_syncs EZIO_GUARDED_BY(m_mutex) = 0;
	bool m_hold EZIO_GUARDED_BY(m_mutex) = false;
	Status m_outcome EZIO_GUARDED_BY(m_mutex) = Ok{};
	std::vector<std::function<void(Status const&)>> m_held EZIO_GUARDED_BY(m_mutex);
	std::function<void()> m_on_stamp EZIO_GUARDED_BY(m_mutex);
};

// Waits (up to 5 s) until `done` holds: the worker runs on its own thread.
template <class Condition>
bool eventually(Condition done)
{
	auto const deadline = std::chrono::steady_clock::now() + 5s;
	while (!done()) {
		if (std::chrono::steady_clock::now() > deadline) return false;
		std::this_thread::sleep_for(1ms);
	}
	return true;
}

class DurabilityTest : public ::testing::Test {
protected:
	lt::add_torrent_params resume_data(int have) const
	{
		lt::add_torrent_params p;
		p.info_hashes.v1 = torrent;
		p.have_pieces.resize(pieces, false);
		for (int i = 0; i < have; ++i) p.have_pieces.set_bit(lt::piece_index_t(i));
		return p;
	}
	FinishGate gate() const
	{
		auto const gates = m_unit.gates();
		auto const it = gates.find(torrent);
		return it == gates.end() ? FinishGate() : it->second;
	}
	bool finished() const { return gate().finished(true); }
	// The durable record's claim, as the next start would read it.
	int durable_claim() const
	{
		auto const claim = m_unit.store().load(torrent, pieces, m_key, "boot=b1;file=1");
		return claim ? claim->have.count() : -1;
	}
	bool record_file(bool durable) const
	{
		return std::filesystem::exists(
			fmt::format("{}/{}.{}", m_scratch.path(), to_hex(torrent), durable ? "durable" : "volatile"));
	}

	test::ScratchDir m_scratch;
	test::FakeEnv m_env;
	FakePorts m_ports;
	TargetKey const m_key{"/dev/loop7", 0x0707, 0, 64 << 20};
	Durability m_unit{m_scratch.path(), m_ports, m_ports, m_env};
};

TEST_F(DurabilityTest, FinishedMeansRecordedThenSyncedThenDone)
{
	m_unit.add(torrent, "os", m_key, true);
	m_unit.finished(torrent);
	EXPECT_EQ(m_ports.asked(), 1) << "the finish asks for a durable record";
	EXPECT_EQ(m_ports.syncs(), 0) << "the record's snapshot comes first";
	EXPECT_FALSE(finished());

	bool finished_before_record = true;
	m_ports.on_stamp([&] { finished_before_record = finished(); });
	m_unit.resume_data(torrent, resume_data(pieces));
	ASSERT_TRUE(eventually([&] { return finished(); }));
	EXPECT_EQ(m_ports.syncs(), 1) << "one sync finishes a torrent";
	EXPECT_FALSE(finished_before_record) << "the record is written before the torrent counts as finished";
	EXPECT_EQ(durable_claim(), pieces);
}

TEST_F(DurabilityTest, AFailedSyncFailsTheTorrentAndForgetsItsVolatileRecord)
{
	m_unit.add(torrent, "os", m_key, true);
	m_unit.piece_done(torrent);
	m_unit.resume_data(torrent, resume_data(3));  // a volatile record
	ASSERT_TRUE(record_file(false));

	m_ports.fail_syncs("fdatasync of the target failed: Input/output error");
	m_unit.finished(torrent);
	m_unit.resume_data(torrent, resume_data(pieces));
	ASSERT_TRUE(eventually([&] { return gate().failed(); }));
	EXPECT_EQ(gate().error(), "fdatasync of the target failed: Input/output error");
	EXPECT_FALSE(finished());
	// The worker pauses the torrent just after it fails the gate.
	EXPECT_TRUE(eventually([&] { return m_ports.stopped() == 1; })) << "a failed torrent is paused";
	EXPECT_FALSE(record_file(false)) << "the volatile record claims pieces that may not be on the disk";
	EXPECT_FALSE(record_file(true)) << "no durable record after a failed sync";

	// Nothing it reports later is trusted, until the user restarts it.
	int const asked = m_ports.asked();
	m_unit.piece_done(torrent);
	m_unit.tick(std::chrono::steady_clock::now() + 60s);
	EXPECT_EQ(m_ports.asked(), asked) << "a failed torrent records nothing";
	EXPECT_TRUE(m_unit.restart(torrent));
	EXPECT_FALSE(gate().failed());
	EXPECT_FALSE(m_unit.restart(torrent)) << "only a failed torrent starts over";
}

TEST_F(DurabilityTest, ARecordThatCannotBeWrittenCostsAVerifyNotTheFinish)
{
	m_unit.add(torrent, "os", m_key, true);
	m_env.fail(Op::write_synced);
	m_unit.finished(torrent);
	m_unit.resume_data(torrent, resume_data(pieces));
	// The target is synced: the data is safe; the next start verifies it.
	ASSERT_TRUE(eventually([&] { return finished(); }));
	EXPECT_FALSE(gate().failed());
	EXPECT_FALSE(record_file(true));
}

TEST_F(DurabilityTest, WithoutResumeDataTheFinishStillSyncs)
{
	m_unit.add(torrent, "os", m_key, true);
	m_unit.finished(torrent);
	EXPECT_EQ(m_ports.syncs(), 0);
	m_unit.resume_failed(torrent);  // libtorrent could not make the record
	ASSERT_TRUE(eventually([&] { return finished(); }));
	EXPECT_EQ(m_ports.syncs(), 1);
	EXPECT_FALSE(record_file(true));
}

TEST_F(DurabilityTest, ResumeDataThatNeverComesIsNeitherFinishedNorWaitedForForever)
{
	m_unit.add(torrent, "os", m_key, true);
	m_unit.finished(torrent);
	EXPECT_FALSE(m_unit.save_all(std::chrono::steady_clock::now() + 20ms)) << "a durable record is pending";
	EXPECT_FALSE(finished());
	EXPECT_EQ(m_ports.syncs(), 0);
}

TEST_F(DurabilityTest, TheFinishWaitsForARecordInFlightThenMakesItsOwn)
{
	m_unit.add(torrent, "os", m_key, true);
	m_ports.hold_syncs();
	m_unit.tick(std::chrono::steady_clock::now() + 31s);  // a periodic durable record
	EXPECT_EQ(m_ports.asked(), 1);
	m_unit.resume_data(torrent, resume_data(4));
	ASSERT_TRUE(eventually([&] { return m_ports.held() == 1; }));
	// Meanwhile every piece arrives. The periodic record's sync may have
	// begun before the last piece was written: it must not finish the
	// torrent, and the finishing record waits for it.
	m_unit.finished(torrent);
	EXPECT_EQ(m_ports.asked(), 1) << "one save at a time";
	m_ports.release(Ok{});
	ASSERT_TRUE(eventually([&] { return m_ports.asked() == 2; })) << "the finishing record follows";
	EXPECT_FALSE(finished());
	EXPECT_EQ(durable_claim(), 4);
	m_unit.resume_data(torrent, resume_data(pieces));
	ASSERT_TRUE(eventually([&] { return finished(); }));
	EXPECT_EQ(m_ports.syncs(), 2);
	EXPECT_EQ(durable_claim(), pieces);
}

TEST_F(DurabilityTest, AFinishBeforeTheTorrentIsRegisteredBeginsWhenItIs)
{
	m_unit.finished(torrent);  // a target complete from its record: the alert can beat add()
	EXPECT_EQ(m_ports.asked(), 0);
	m_unit.add(torrent, "os", m_key, true);
	EXPECT_EQ(m_ports.asked(), 1);
	m_unit.resume_data(torrent, resume_data(pieces));
	EXPECT_TRUE(eventually([&] { return finished(); }));
}

TEST_F(DurabilityTest, EventsForATorrentItDoesNotHoldChangeNothing)
{
	m_unit.resume_data(torrent, resume_data(pieces));
	m_unit.resume_failed(torrent);
	m_unit.piece_done(torrent);
	m_unit.tick(std::chrono::steady_clock::now() + 60s);
	EXPECT_EQ(m_ports.asked(), 0);
	EXPECT_EQ(m_ports.syncs(), 0);
	EXPECT_FALSE(record_file(false));
	EXPECT_FALSE(record_file(true));
}

TEST_F(DurabilityTest, ASeedIsDurableFromTheStartAndRecordsNothing)
{
	m_unit.add(torrent, "os", m_key, false);
	EXPECT_TRUE(finished());
	m_unit.piece_done(torrent);
	m_unit.finished(torrent);
	m_unit.tick(std::chrono::steady_clock::now() + 60s);
	EXPECT_EQ(m_ports.asked(), 0);
	EXPECT_EQ(m_ports.syncs(), 0);
}

TEST_F(DurabilityTest, ADownloadGetsADurableRecordEveryThirtySeconds)
{
	m_unit.add(torrent, "os", m_key, true);
	m_unit.tick(std::chrono::steady_clock::now() + 10s);
	EXPECT_EQ(m_ports.asked(), 0);
	m_unit.tick(std::chrono::steady_clock::now() + 31s);
	EXPECT_EQ(m_ports.asked(), 1);
	m_unit.resume_data(torrent, resume_data(5));
	ASSERT_TRUE(eventually([&] { return durable_claim() == 5; }));
	EXPECT_FALSE(finished()) << "a periodic record's sync finishes nothing";
}

TEST(DurabilityWithoutStateDir, TheFinishingSyncRunsAlone)
{
	FakePorts ports;
	Durability unit("", ports, ports);
	TargetKey const key{"/dev/loop7", 0x0707, 0, 64 << 20};
	unit.add(torrent, "os", key, true);
	unit.piece_done(torrent);
	EXPECT_EQ(ports.asked(), 0) << "no store, no records";
	unit.finished(torrent);
	ASSERT_TRUE(eventually([&] { return unit.gates().at(torrent).finished(true); }));
	EXPECT_EQ(ports.syncs(), 1);
}

}  // namespace
}  // namespace ezio::daemon
