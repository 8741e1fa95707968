#include "net/address.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(SocketAddress, ParsesIPv4AndBracketedIPv6) {
  auto v4 = SocketAddress::parse("127.0.0.1:6543");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 6543);
  EXPECT_EQ(v4->toString(), "127.0.0.1:6543");
  EXPECT_EQ(v4->ipBytes().size(), 4u);

  auto v6 = SocketAddress::parse("[::1]:443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->port(), 443);
  EXPECT_EQ(v6->toString(), "[::1]:443");
  EXPECT_EQ(v6->ipBytes().size(), 16u);
}

TEST(SocketAddress, ExplainsWhatIsWrong) {
  std::string why;
  EXPECT_FALSE(SocketAddress::parse("127.0.0.1", &why));
  EXPECT_NE(why.find("host:port"), std::string::npos);
  EXPECT_FALSE(SocketAddress::parse("127.0.0.1:70000", &why));
  EXPECT_NE(why.find("port"), std::string::npos);
  EXPECT_FALSE(SocketAddress::parse("db.example.test:5432", &why));
  EXPECT_NE(why.find("numeric"), std::string::npos);
  EXPECT_FALSE(SocketAddress::parse("::1:443", &why));
  EXPECT_FALSE(SocketAddress::parse("[nope]:443", &why));
  EXPECT_NE(why.find("IPv6"), std::string::npos);
}

}  // namespace
}  // namespace sluice
