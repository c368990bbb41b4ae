#include "storage/block_pool.hpp"

#include <gtest/gtest.h>

namespace ezio::storage {
namespace {

struct CountingObserver final : lt::disk_observer {
	void on_disk() override { ++woken; }
	int woken = 0;
};

TEST(BlockPool, CountsEveryBlock)
{
	BlockPool pool(1 << 20, {});
	char* a = pool.allocate();
	char* b = pool.allocate();
	EXPECT_EQ(pool.bytes_in_use(), 2 * BlockPool::block_size);
	pool.release(a);
	pool.release(b);
	pool.release(nullptr);
	EXPECT_EQ(pool.bytes_in_use(), 0);
}

TEST(BlockPool, BackpressureAboveHighReleasedAtLow)
{
	BlockPool::Observers released;
	BlockPool pool(64 * BlockPool::block_size, [&](BlockPool::Observers o) {
		for (auto& x : o) released.push_back(x);
	});
	auto observer = std::make_shared<CountingObserver>();
	std::vector<char*> blocks;

	// Up to the high watermark (56 of 64 blocks) writes go on.
	while (pool.bytes_in_use() < pool.high_watermark()) {
		blocks.push_back(pool.allocate());
		EXPECT_FALSE(pool.exceeded(observer));
	}
	blocks.push_back(pool.allocate());
	EXPECT_TRUE(pool.exceeded(observer));
	EXPECT_TRUE(pool.exceeded(observer));  // a second peer waits too

	// Freeing down to just above the low watermark wakes nobody...
	while (pool.bytes_in_use() > pool.low_watermark() + BlockPool::block_size) {
		pool.release(blocks.back());
		blocks.pop_back();
	}
	EXPECT_TRUE(released.empty());
	// ...reaching it wakes everyone who waited, once.
	pool.release(blocks.back());
	blocks.pop_back();
	EXPECT_EQ(released.size(), 2u);
	pool.release(blocks.back());
	blocks.pop_back();
	EXPECT_EQ(released.size(), 2u);

	for (char* b : blocks) pool.release(b);
}

TEST(BlockPool, RaisingTheBudgetReleasesWaiters)
{
	int releases = 0;
	BlockPool pool(16 * BlockPool::block_size, [&](BlockPool::Observers o) { releases += int(o.size()); });
	std::vector<char*> blocks;
	for (int i = 0; i < 16; ++i) blocks.push_back(pool.allocate());
	ASSERT_TRUE(pool.exceeded(std::make_shared<CountingObserver>()));
	pool.set_budget(64 * BlockPool::block_size);
	EXPECT_EQ(releases, 1);
	EXPECT_FALSE(pool.exceeded(std::make_shared<CountingObserver>()));
	for (char* b : blocks) pool.release(b);
}

}  // namespace
}  // namespace ezio::storage

namespace ezio::storage {
namespace {

TEST(BlockPool, BlocksAreReferenceCounted)
{
	BlockPool pool(1 << 20, {});
	char* block = pool.allocate();
	pool.retain(block);
	pool.release(block);
	EXPECT_EQ(pool.bytes_in_use(), BlockPool::block_size) << "one holder left";
	pool.release(block);
	EXPECT_EQ(pool.bytes_in_use(), 0);
	// A freed block is reused rather than given back to the system.
	EXPECT_EQ(pool.allocate(), block);
	pool.release(block);
}

TEST(BlockPool, ChosenReadsAreRefusedAtTheBudgetAndToldWhenThereIsSpace)
{
	int space = 0;
	BlockPool pool(8 * BlockPool::block_size, {});
	pool.set_space_callback([&] { ++space; });
	std::vector<char*> blocks;
	for (int i = 0; i < 8; ++i) blocks.push_back(pool.try_allocate());
	EXPECT_EQ(pool.try_allocate(), nullptr) << "the budget is used up";
	// Data that has arrived is still taken.
	char* arrived = pool.allocate();
	ASSERT_NE(arrived, nullptr);
	pool.release(arrived);
	EXPECT_EQ(space, 0) << "still above the high watermark";
	pool.release(blocks.back());
	blocks.pop_back();
	EXPECT_EQ(space, 1);
	pool.release(blocks.back());
	blocks.pop_back();
	EXPECT_EQ(space, 1) << "once per refusal";
	for (char* b : blocks) pool.release(b);
}

TEST(BlockPool, ShrinkingTheBudgetGivesMemoryBack)
{
	BlockPool pool(64 * BlockPool::block_size, {});
	std::vector<char*> blocks;
	for (int i = 0; i < 32; ++i) blocks.push_back(pool.allocate());
	for (char* b : blocks) pool.release(b);
	pool.set_budget(4 * BlockPool::block_size);
	EXPECT_EQ(pool.budget(), 4 * BlockPool::block_size);
	blocks.clear();
	for (int i = 0; i < 4; ++i) blocks.push_back(pool.try_allocate());
	for (char* b : blocks) EXPECT_NE(b, nullptr);
	EXPECT_EQ(pool.try_allocate(), nullptr);
	for (char* b : blocks) pool.release(b);
}

}  // namespace
}  // namespace ezio::storage
