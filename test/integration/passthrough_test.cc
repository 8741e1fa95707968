// https-passthrough end to end: real TLS origins holding their own certificates (signed by a
// test CA made at test time), real clients (curl, openssl s_client, an OpenSSL client), and
// the real sluice binary, which never holds a certificate or key.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "support/metrics_scrape.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

const std::string kAlpnH2Http11("\x02h2\x08http/1.1", 12);

// Three HTTPS origins: bank (its own name), shop (a wildcard certificate), www (the default).
class PassthroughTest : public ::testing::Test {
 protected:
  // `proxy`: the origins expect a PROXY protocol header first.
  explicit PassthroughTest(bool proxy = false)
      : bank_(tlsOrigin("bank", certs().issue({"bank.example.test"}), proxy)),
        shop_(tlsOrigin("shop", certs().issue({"*.shop.example.test"}), proxy)),
        www_(tlsOrigin("www", certs().issue({"www.example.test"}), proxy)) {}

  static CertFactory& certs() { return CertFactory::instance(); }

  // A passthrough VIP routing bank and *.shop by SNI, www by default.
  std::string config(const std::string& vipExtra = "", const std::string& groupExtra = "") {
    return "global: {workers: 2}\n"
           "server_groups:\n"
           "  - {name: bank, " +
           groupExtra + "servers: [{name: bank1, address: " + bank_.address() +
           "}]}\n"
           "  - {name: shop, " +
           groupExtra + "servers: [{name: shop1, address: " + shop_.address() +
           "}]}\n"
           "  - {name: www, " +
           groupExtra + "servers: [{name: www1, address: " + www_.address() +
           "}]}\n"
           "vips:\n"
           "  - name: secure\n"
           "    listen: 127.0.0.1:" +
           std::to_string(port_) +
           "\n"
           "    service: https-passthrough\n"
           "    default_group: www\n"
           "    sni_routes:\n"
           "      - {sni: bank.example.test, group: bank}\n"
           "      - {sni: \"*.shop.example.test\", group: shop}\n" +
           vipExtra;
  }

  std::string curl(const std::string& host, const std::string& flags = "") {
    std::string output;
    const std::string p = std::to_string(port_);
    runCommand("curl -sS --max-time 10 --cacert " + certs().caPath() + " --resolve " + host + ":" +
                   p + ":127.0.0.1 " + flags + " https://" + host + ":" + p + "/",
               output);
    return output;
  }

  uint16_t port_ = freePort();
  TestOrigin bank_, shop_, www_;
};

TEST_F(PassthroughTest, ClientsSeeTheBackendsOwnCertificate) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  EXPECT_EQ(curl("bank.example.test").substr(0, 12), "origin=bank ");
  std::string output;
  runCommand("openssl s_client -connect 127.0.0.1:" + std::to_string(port_) +
                 " -servername bank.example.test -verify_hostname bank.example.test -CAfile " +
                 certs().caPath() + " < /dev/null",
             output);
  EXPECT_NE(output.find("subject=CN = bank.example.test"), std::string::npos) << output;
  EXPECT_NE(output.find("issuer=CN = Sluice Test CA"), std::string::npos) << output;
  EXPECT_NE(output.find("Verify return code: 0 (ok)"), std::string::npos) << output;
}

TEST_F(PassthroughTest, RoutesByExactNameWildcardAndDefault) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  TlsResult bank = tlsRequest(port_, "bank.example.test");
  EXPECT_EQ(bank.peerSubject, "bank.example.test");
  EXPECT_EQ(bank.body.substr(0, 12), "origin=bank ");
  // Case and a trailing dot do not matter.
  EXPECT_EQ(curl("BANK.Example.Test").substr(0, 12), "origin=bank ");

  EXPECT_EQ(tlsRequest(port_, "eu.shop.example.test").body.substr(0, 12), "origin=shop ");
  EXPECT_EQ(tlsRequest(port_, "us.shop.example.test").body.substr(0, 12), "origin=shop ");
  // Not the bare suffix, not two labels: those go to the default group, whose certificate does
  // not match, which the client rightly refuses.
  TlsResult bare = tlsRequest(port_, "shop.example.test");
  EXPECT_FALSE(bare.handshake);
  EXPECT_EQ(tlsRequest(port_, "www.example.test").body.substr(0, 11), "origin=www ");

  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() >= 6; }, 5s));
  std::set<std::string> routed;
  for (const auto& record : sluice.accessLog()) {
    routed.insert(record.value("sni", "") + "->" + record.value("group", ""));
  }
  EXPECT_TRUE(routed.count("bank.example.test->bank"));
  EXPECT_TRUE(routed.count("eu.shop.example.test->shop"));
  EXPECT_TRUE(routed.count("shop.example.test->www"));
}

TEST_F(PassthroughTest, NoSniGoesToTheDefaultGroupOrIsRefused) {
  {
    SluiceProcess sluice(config());
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    std::string output;
    runCommand("openssl s_client -connect 127.0.0.1:" + std::to_string(port_) +
                   " -noservername -CAfile " + certs().caPath() + " < /dev/null",
               output);
    EXPECT_NE(output.find("subject=CN = www.example.test"), std::string::npos) << output;
  }
  port_ = freePort();
  SluiceProcess sluice(config("    no_sni: reject\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  TlsResult refused = tlsRequest(port_, "");
  EXPECT_TRUE(refused.connected);
  EXPECT_FALSE(refused.handshake);
  EXPECT_EQ(www_.accepted(), 1) << "only the first VIP's connection reached an origin";
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  EXPECT_EQ(sluice.accessLog()[0]["end"], "no_sni");
}

TEST_F(PassthroughTest, AClientHelloDribbledOneByteAtATimeStillRoutes) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  TlsResult result = tlsRequest(port_, "bank.example.test", kAlpnH2Http11, 1ms);
  EXPECT_TRUE(result.handshake);
  EXPECT_EQ(result.body.substr(0, 12), "origin=bank ");
}

TEST_F(PassthroughTest, NonTlsMalformedOversizedAndSlowClientsAreClosed) {
  const uint16_t admin = freePort();
  SluiceProcess sluice(withAdmin(
      config("    limits: {client_hello_max: 1KiB}\n    timeouts: {peek: 300ms}\n"), admin));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  auto closedWithoutReply = [&](const std::string& bytes) {
    const int fd = connectLocal(port_);
    writeAll(fd, bytes);
    bool eof = false;
    const std::string reply = readUntilClose(fd, 10s, &eof);
    ::close(fd);
    return eof && reply.empty();
  };
  EXPECT_TRUE(closedWithoutReply("GET / HTTP/1.1\r\nHost: bank.example.test\r\n\r\n"));
  EXPECT_TRUE(closedWithoutReply(std::string("\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00", 10)));
  // A record announcing more than client_hello_max.
  EXPECT_TRUE(closedWithoutReply(std::string("\x16\x03\x01\x07\x00", 5) + std::string(100, 'x')));
  // The start of a ClientHello, then silence.
  EXPECT_TRUE(closedWithoutReply(std::string("\x16\x03\x01\x00\x40\x01", 6)));

  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 4; }, 5s));
  std::multiset<std::string> ends;
  for (const auto& record : sluice.accessLog())
    ends.insert(record["end"]);
  EXPECT_EQ(ends, (std::multiset<std::string>{"not_tls", "malformed_client_hello",
                                              "client_hello_too_large", "peek_timeout"}));
  EXPECT_EQ(bank_.accepted() + shop_.accepted() + www_.accepted(), 0);

  // The worker is unaffected: a real client still gets through.
  EXPECT_EQ(tlsRequest(port_, "bank.example.test").body.substr(0, 12), "origin=bank ");
  // Each outcome counted under its own result.
  const std::string page = scrapeMetrics(admin);
  for (const char* result : {"not_tls", "malformed", "too_large", "timeout", "routed"}) {
    EXPECT_EQ(metricSum(page, "sluice_passthrough_peeks_total{vip=\"secure\",result=\"" +
                                  std::string(result) + "\""),
              1)
        << result;
  }
  sluice.signal(SIGTERM);
  EXPECT_EQ(sluice.waitExit(), 0);
}

class PassthroughProxyTest : public PassthroughTest {
 protected:
  PassthroughProxyTest() : PassthroughTest(true) {}
};

TEST_F(PassthroughProxyTest, ProxyV2CarriesClientAddressSniAndAlpn) {
  SluiceProcess sluice(config("", "proxy_protocol: v2, "));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string body = curl("bank.example.test");
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  const std::string client = sluice.accessLog()[0]["client"];
  EXPECT_EQ(body, "origin=bank proxy=2 source=" + client + " destination=127.0.0.1:" +
                      std::to_string(port_) + " authority=bank.example.test alpn=h2\n");
}

TEST_F(PassthroughProxyTest, ProxyV1CarriesTheClientAddress) {
  SluiceProcess sluice(config("", "proxy_protocol: v1, "));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const TlsResult result = tlsRequest(port_, "eu.shop.example.test");
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  const std::string client = sluice.accessLog()[0]["client"];
  EXPECT_EQ(result.body, "origin=shop proxy=1 source=" + client + " destination=127.0.0.1:" +
                             std::to_string(port_) + " authority= alpn=\n");
}

TEST(PassthroughAffinity, SourceHashKeepsOneClientOnOneServerAcross100Connections) {
  auto cert = CertFactory::instance().issue({"app.example.test"});
  TestOrigin a(tlsOrigin("a", cert)), b(tlsOrigin("b", cert)), c(tlsOrigin("c", cert));
  const uint16_t port = freePort();
  SluiceProcess sluice(
      "global: {workers: 2}\n"
      "server_groups:\n"
      "  - name: app\n    balance: source_hash\n    servers:\n"
      "      - {name: a, address: " +
      a.address() +
      "}\n"
      "      - {name: b, address: " +
      b.address() +
      "}\n"
      "      - {name: c, address: " +
      c.address() +
      "}\n"
      "vips:\n  - {name: v, listen: 127.0.0.1:" +
      std::to_string(port) + ", service: https-passthrough, default_group: app}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::set<std::string> origins;
  for (int i = 0; i < 100; ++i) {
    const TlsResult result = tlsRequest(port, "app.example.test");
    ASSERT_TRUE(result.handshake) << i;
    origins.insert(result.body.substr(0, 8));
  }
  EXPECT_EQ(origins.size(), 1u) << "every connection from 127.0.0.1 reached the same server";
}

}  // namespace
}  // namespace sluice::test
