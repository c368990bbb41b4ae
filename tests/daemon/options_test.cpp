#include "daemon/options.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

std::variant<Options, int> parse(std::vector<char const*> args)
{
	args.insert(args.begin(), "ezio");
	return parse_options(int(args.size()), args.data());
}

TEST(Options, DefaultsAreTheOriginalOnes)
{
	auto const r = parse({});
	ASSERT_TRUE(std::holds_alternative<Options>(r));
	auto const& o = std::get<Options>(r);
	EXPECT_FALSE(o.file_mode);
	EXPECT_EQ(o.listen, "127.0.0.1:50051");
	EXPECT_EQ(o.cache_size_mb, 512);
	EXPECT_EQ(o.aio_threads, 16);
	EXPECT_FALSE(o.slow_start);
	EXPECT_EQ(o.slow_start_period, 10);
	EXPECT_EQ(o.port, 6881);
	EXPECT_FALSE(o.allow_multiple_connections_per_ip);
	EXPECT_EQ(o.upload_rate_limit_mib, 0);
	EXPECT_EQ(o.io_backend, "auto");
	EXPECT_TRUE(o.super_seed) << "the piece handout: faster for 8 clients, no slower for one (bench/RESULTS.md)";
}

// Two daemons on one host, told apart by -l and -p only (as the original
// allowed), keep their records apart; --state-dir still wins.
TEST(Options, EachListenAddressHasAStateDirectoryOfItsOwn)
{
	auto state_dir = [](std::vector<char const*> args) { return std::get<Options>(parse(std::move(args))).state_dir; };
	EXPECT_EQ(state_dir({}), "/var/lib/ezio");
	EXPECT_EQ(state_dir({"-l", "127.0.0.1:50051"}), "/var/lib/ezio");
	EXPECT_EQ(state_dir({"-l", "127.0.0.1:50052", "-p", "6882"}), "/var/lib/ezio/listen-127.0.0.1_50052");
	EXPECT_EQ(state_dir({"-l", "unix:/run/ezio/b.sock"}), "/var/lib/ezio/listen-unix__run_ezio_b.sock");
	EXPECT_EQ(state_dir({"-l", "[::1]:50052"}), "/var/lib/ezio/listen-[__1]_50052");
	EXPECT_EQ(state_dir({"-l", "127.0.0.1:50052", "--state-dir", "/srv/s"}), "/srv/s");
	EXPECT_EQ(state_dir({"-l", "127.0.0.1:50052", "--state-dir", ""}), "");
}

TEST(Options, SuperSeedingCanBeTurnedOff)
{
	auto const off = parse({"--no-super-seed"});
	ASSERT_TRUE(std::holds_alternative<Options>(off));
	EXPECT_FALSE(std::get<Options>(off).super_seed);
	auto const on = parse({"--super-seed"});
	ASSERT_TRUE(std::holds_alternative<Options>(on));
	EXPECT_TRUE(std::get<Options>(on).super_seed) << "the flag Clonezilla-era scripts and our docs used";
	EXPECT_FALSE(std::holds_alternative<Options>(parse({"--super-seed", "--no-super-seed"})))
		<< "contradicting flags are an error, not whichever CLI11 applies last";
}

TEST(Options, TheFlagsClonezillaPasses)
{
	auto const r = parse({"-F", "-l", "0.0.0.0:50052", "--cache-size", "1024", "--aio-threads", "8", "--slow-start",
		"--slow-start-period", "5", "-p", "6882", "--allow-multiple-connections-per-ip", "--upload-rate-limit", "12.5"});
	ASSERT_TRUE(std::holds_alternative<Options>(r));
	auto const& o = std::get<Options>(r);
	EXPECT_TRUE(o.file_mode);
	EXPECT_EQ(o.listen, "0.0.0.0:50052");
	EXPECT_EQ(o.cache_size_mb, 1024);
	EXPECT_EQ(o.aio_threads, 8);
	EXPECT_TRUE(o.slow_start);
	EXPECT_EQ(o.slow_start_period, 5);
	EXPECT_EQ(o.port, 6882);
	EXPECT_TRUE(o.allow_multiple_connections_per_ip);
	EXPECT_DOUBLE_EQ(o.upload_rate_limit_mib, 12.5);
}

TEST(Options, BadValuesAreUsageErrors)
{
	for (auto const& args : std::vector<std::vector<char const*>>{{"--cache-size", "0"}, {"--aio-threads", "-1"},
			 {"-p", "70000"}, {"--upload-rate-limit", "-3"}, {"--slow-start-period", "0"}, {"--bogus"}}) {
		auto const r = parse(args);
		ASSERT_TRUE(std::holds_alternative<int>(r)) << args[0];
		EXPECT_EQ(std::get<int>(r), 2) << args[0];
	}
}

}  // namespace
}  // namespace ezio::daemon
