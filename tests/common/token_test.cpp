#include "common/token.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "support/scratch_dir.hpp"

namespace ezio {
namespace {

// A token file holding `text`, in a directory removed when the test ends.
std::string write_temp(test::ScratchDir const& dir, std::string const& name, std::string const& text)
{
	std::string const path = dir.file(name);
	std::ofstream(path) << text;
	return path;
}

TEST(Token, ReadsTheFirstLineTrimmed)
{
	test::ScratchDir const dir;
	std::string const path = write_temp(dir, "token", "  s3cr3t-token-of-24-chars \nsecond line\n");
	auto const token = read_token_file(path);
	ASSERT_TRUE(token) << token.error();
	EXPECT_EQ(*token, "s3cr3t-token-of-24-chars");
}

TEST(Token, RefusesShortMissingAndEmptyTokens)
{
	test::ScratchDir const dir;
	std::string const short_one = write_temp(dir, "short", "abc\n");
	EXPECT_FALSE(read_token_file(short_one));
	std::string const empty = write_temp(dir, "empty", "");
	EXPECT_FALSE(read_token_file(empty));
	EXPECT_FALSE(read_token_file("/no/such/token"));
}

TEST(Token, ComparesWholeStrings)
{
	EXPECT_TRUE(tokens_equal("Bearer abcdef", "Bearer abcdef"));
	EXPECT_FALSE(tokens_equal("Bearer abcdef", "Bearer abcdeg"));
	EXPECT_FALSE(tokens_equal("Bearer abcdef", "Bearer abcde"));
	EXPECT_FALSE(tokens_equal("Bearer abcdef", "Bearer abcdefg"));
	EXPECT_FALSE(tokens_equal("Bearer abcdef", ""));
}

}  // namespace
}  // namespace ezio
