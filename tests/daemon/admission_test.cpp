#include "daemon/admission.hpp"

#include <gtest/gtest.h>

namespace ezio::daemon {
namespace {

struct AdmissionTest : ::testing::Test {
	Options options;
	ResumeStore resume{""};  // no state directory: no records
	Admission admission{options, resume};

	static api::AddTorrentRequest request(std::string save_path)
	{
		api::AddTorrentRequest r;
		r.save_path = std::move(save_path);
		return r;
	}
};

TEST_F(AdmissionTest, ARequestNamesATargetAndSaneLimits)
{
	EXPECT_EQ(admission.check_request(request("")).error_code(), Errc::invalid_argument);
	auto limits = request("/dev/sdb1");
	limits.max_connections = -2;
	EXPECT_EQ(admission.check_request(limits).error_code(), Errc::invalid_argument);
	limits.max_connections = -1;  // unlimited
	EXPECT_TRUE(admission.check_request(limits));
}

TEST_F(AdmissionTest, PeersAreIpAndPort)
{
	auto r = request("/dev/sdb1");
	r.peers = {"10.0.0.2:6881", "[::1]:6881"};
	auto const peers = admission.check_request(r);
	ASSERT_TRUE(peers) << peers.error();
	ASSERT_EQ(peers->size(), 2u);
	EXPECT_EQ(peers->at(0).port(), 6881);
	r.peers = {"10.0.0.2"};
	auto const refused = admission.check_request(r);
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().find("10.0.0.2"), std::string::npos) << refused.error();
}

TEST_F(AdmissionTest, AllowTargetJudgesTheRealPath)
{
	EXPECT_TRUE(admission.check_allowed_target("/dev/disk/by-id/x", "/dev/sda"));  // no list: any
	options.allow_targets = {"/dev/sd[b-z]*"};
	EXPECT_TRUE(admission.check_allowed_target("/dev/disk/by-id/y", "/dev/sdb1"));
	auto const refused = admission.check_allowed_target("/dev/disk/by-id/x", "/dev/sda");
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error_code(), Errc::permission_denied);
	EXPECT_NE(refused.error().find("/dev/sda"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace ezio::daemon
