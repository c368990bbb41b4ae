#include "swarm/companion_advert.hpp"

#include <string>

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>

namespace ezio::swarm {
namespace {

CompanionAdvert advert_in(std::string const& text)
{
	lt::error_code ec;
	lt::bdecode_node const node = lt::bdecode(text, ec);
	EXPECT_FALSE(ec) << text;
	return read_companion_advert(node);
}

// The companion a handshake offers, if any.
std::optional<lt::sha1_hash> read(std::string const& text)
{
	CompanionAdvert const advert = advert_in(text);
	if (advert.kind != CompanionAdvert::Kind::offers) return std::nullopt;
	return advert.companion;
}

std::string bencoded(lt::entry const& e)
{
	std::string text;
	lt::bencode(std::back_inserter(text), e);
	return text;
}

TEST(CompanionAdvert, TheHandshakeNamesTheCompanion)
{
	lt::entry handshake;
	handshake["m"]["ut_metadata"] = 2;
	lt::sha1_hash const companion("c(t)'s info-hash 20b");
	add_companion_advert(handshake, companion);
	EXPECT_EQ(read(bencoded(handshake)), companion);
}

TEST(CompanionAdvert, ASourceWithoutOneSaysSo)
{
	lt::entry handshake;
	handshake["m"]["ut_metadata"] = 2;
	EXPECT_EQ(advert_in(bencoded(handshake)).kind, CompanionAdvert::Kind::silent) << "a stock handshake";
	add_no_companion(handshake);
	EXPECT_EQ(advert_in(bencoded(handshake)).kind, CompanionAdvert::Kind::declines);
	EXPECT_EQ(advert_in("d14:ezio_companioni1ee").kind, CompanionAdvert::Kind::silent) << "only 0 declines";
	EXPECT_EQ(advert_in("d14:ezio_companion0:e").kind, CompanionAdvert::Kind::silent);
}

TEST(CompanionAdvert, AnythingButTwentyBytesNamesNone)
{
	EXPECT_FALSE(read("d1:md11:ut_metadatai2ee1:pi6881ee")) << "a stock handshake";
	EXPECT_FALSE(read("d14:ezio_companion19:0123456789012345678e"));
	EXPECT_FALSE(read("d14:ezio_companion21:012345678901234567890e"));
	EXPECT_FALSE(read("d14:ezio_companioni7ee"));
	EXPECT_FALSE(read("d14:ezio_companionl20:01234567890123456789ee"));
	EXPECT_FALSE(read("l14:ezio_companion20:01234567890123456789e")) << "not a dictionary";
	EXPECT_EQ(read("d14:ezio_companion20:01234567890123456789e"), lt::sha1_hash("01234567890123456789"));
}

}  // namespace
}  // namespace ezio::swarm
