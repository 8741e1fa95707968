#include "net/cidr.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

bool in(const CidrSet& set, const char* address) {
  return set.contains(*SocketAddress::parse(address));
}

TEST(CidrSet, MatchesIpv4AndIpv6Networks) {
  CidrSet set;
  ASSERT_TRUE(set.add("203.0.113.0/24"));
  ASSERT_TRUE(set.add("2001:db8::/32"));
  ASSERT_TRUE(set.add("10.1.2.3"));  // a single address
  EXPECT_TRUE(in(set, "203.0.113.77:1"));
  EXPECT_FALSE(in(set, "203.0.114.1:1"));
  EXPECT_TRUE(in(set, "[2001:db8:ffff::1]:1"));
  EXPECT_FALSE(in(set, "[2001:db9::1]:1"));
  EXPECT_TRUE(in(set, "10.1.2.3:1"));
  EXPECT_FALSE(in(set, "10.1.2.4:1"));
  EXPECT_TRUE(in(set, "[::ffff:203.0.113.9]:1")) << "IPv4-mapped IPv6 matches as IPv4";
}

TEST(CidrSet, OddPrefixesAndHostBits) {
  CidrSet set;
  ASSERT_TRUE(set.add("192.168.1.77/23"));  // host bits are ignored: 192.168.0.0/23
  EXPECT_TRUE(in(set, "192.168.0.1:1"));
  EXPECT_TRUE(in(set, "192.168.1.255:1"));
  EXPECT_FALSE(in(set, "192.168.2.0:1"));
  CidrSet everything;
  ASSERT_TRUE(everything.add("0.0.0.0/0"));
  EXPECT_TRUE(in(everything, "8.8.8.8:1"));
  EXPECT_FALSE(in(everything, "[::1]:1"));
}

TEST(CidrSet, NestedAndManyNetworks) {
  CidrSet set;
  ASSERT_TRUE(set.add("10.1.0.0/16"));
  ASSERT_TRUE(set.add("10.0.0.0/8"));   // covers the first
  ASSERT_TRUE(set.add("10.1.2.0/24"));  // inside both
  EXPECT_TRUE(in(set, "10.200.0.1:1"));
  EXPECT_FALSE(in(set, "11.0.0.1:1"));
  // Thousands of disjoint /32s: each is found, its neighbours are not.
  CidrSet hosts;
  for (int i = 0; i < 4096; ++i) {
    ASSERT_TRUE(hosts.add("172.16." + std::to_string(i / 256) + "." + std::to_string(i % 256)));
  }
  EXPECT_EQ(hosts.size(), 4096u);
  EXPECT_TRUE(in(hosts, "172.16.15.255:1"));
  EXPECT_TRUE(in(hosts, "172.16.0.0:1"));
  EXPECT_FALSE(in(hosts, "172.16.16.0:1"));
  EXPECT_FALSE(in(hosts, "172.17.0.0:1"));
  CidrSet v6;
  ASSERT_TRUE(v6.add("::1"));
  EXPECT_TRUE(in(v6, "[::1]:1"));
  EXPECT_FALSE(in(v6, "[::2]:1"));
  EXPECT_FALSE(in(v6, "127.0.0.1:1"));
}

TEST(CidrSet, ExplainsBadInput) {
  CidrSet set;
  std::string why;
  EXPECT_FALSE(set.add("300.1.1.1/8", &why));
  EXPECT_NE(why.find("not an IPv4 or IPv6 address"), std::string::npos);
  EXPECT_FALSE(set.add("10.0.0.0/33", &why));
  EXPECT_NE(why.find("from 0 to 32"), std::string::npos);
  EXPECT_FALSE(set.add("2001:db8::/129", &why));
  EXPECT_FALSE(set.add("10.0.0.0/x", &why));
  EXPECT_TRUE(set.empty());
}

}  // namespace
}  // namespace sluice
