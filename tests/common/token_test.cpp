#include "common/token.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace ezio {
namespace {

std::string write_temp(std::string const& text)
{
	char path[] = "/tmp/ezio-token-XXXXXX";
	int const fd = ::mkstemp(path);
	::close(fd);
	std::ofstream(path) << text;
	return path;
}

TEST(Token, ReadsTheFirstLineTrimmed)
{
	std::string const path = write_temp("  s3cr3t-token-of-24-chars \nsecond line\n");
	auto const token = read_token_file(path);
	ASSERT_TRUE(token) << token.error();
	EXPECT_EQ(*token, "s3cr3t-token-of-24-chars");
	::unlink(path.c_str());
}

TEST(Token, RefusesShortMissingAndEmptyTokens)
{
	std::string const short_one = write_temp("abc\n");
	EXPECT_FALSE(read_token_file(short_one));
	std::string const empty = write_temp("");
	EXPECT_FALSE(read_token_file(empty));
	EXPECT_FALSE(read_token_file("/no/such/token"));
	::unlink(short_one.c_str());
	::unlink(empty.c_str());
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
