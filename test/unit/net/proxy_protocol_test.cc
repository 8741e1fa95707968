#include "net/proxy_protocol.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

SocketAddress addr(const char* text) {
  return *SocketAddress::parse(text);
}

TEST(ProxyProtocolV1, MatchesTheSpecificationsExamples) {
  std::string out;
  appendProxyV1(addr("192.168.0.1:56324"), addr("192.168.0.11:443"), out);
  EXPECT_EQ(out, "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  out.clear();
  appendProxyV1(addr("[2001:db8::1]:56324"), addr("[2001:db8::11]:443"), out);
  EXPECT_EQ(out, "PROXY TCP6 2001:db8::1 2001:db8::11 56324 443\r\n");
  out.clear();
  appendProxyV1(addr("[2001:db8::1]:56324"), addr("192.168.0.11:443"), out);
  EXPECT_EQ(out, "PROXY UNKNOWN\r\n");
}

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

TEST(ProxyProtocolV2, EncodesTcpOverIpv4) {
  std::string out;
  appendProxyV2(addr("192.168.0.1:56324"), addr("192.168.0.11:443"), "", "", out);
  const std::string expected = kSignature + std::string("\x21\x11\x00\x0c", 4) +
                               std::string("\xc0\xa8\x00\x01\xc0\xa8\x00\x0b", 8) +
                               std::string("\xdc\x04\x01\xbb", 4);
  EXPECT_EQ(out, expected);
}

TEST(ProxyProtocolV2, CarriesAuthorityAndAlpnTlvs) {
  std::string out;
  appendProxyV2(addr("192.168.0.1:56324"), addr("192.168.0.11:443"), "bank.example.test", "h2",
                out);
  const std::string tlvs =
      std::string("\x01\x00\x02h2", 5) + std::string("\x02\x00\x11", 3) + "bank.example.test";
  ASSERT_EQ(out.size(), 16u + 12u + tlvs.size());
  EXPECT_EQ(out.substr(14, 2), std::string("\x00\x25", 2)) << "12 address bytes + 25 TLV bytes";
  EXPECT_EQ(out.substr(28), tlvs);
}

TEST(ProxyProtocolV2, EncodesTcpOverIpv6AndMapsMixedFamilies) {
  std::string out;
  appendProxyV2(addr("[2001:db8::1]:1000"), addr("[::1]:443"), "", "", out);
  ASSERT_EQ(out.size(), 16u + 36u);
  EXPECT_EQ(out[13], '\x21');
  EXPECT_EQ(out.substr(14, 2), std::string("\x00\x24", 2));

  out.clear();
  appendProxyV2(addr("10.1.2.3:1000"), addr("[::1]:443"), "", "", out);
  EXPECT_EQ(out[13], '\x21');
  EXPECT_EQ(out.substr(16, 16), std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x01\x02\x03", 16));
}

}  // namespace
}  // namespace sluice
