// The https-bridge service and mixed listeners end to end: the real sluice binary, HTTPS
// origins on 127.0.0.1 that hold certificates from the test CA (or from a CA Sluice must not
// trust, or expired, or for another name), and curl / a TLS client as the users.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/http_origin.h"
#include "support/metrics_scrape.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"
#include "tls/certificate_factory.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// Certificates Sluice must refuse at its backends: from a CA it does not know, and expired
// ones from a CA it does.
class ForeignCertificates {
 public:
  ForeignCertificates() {
    char path[] = "/tmp/sluice-foreign-XXXXXX";
    dir_ = ::mkdtemp(path);
    std::filesystem::create_directories(dir_ + "/unknown");
    std::filesystem::create_directories(dir_ + "/own");
    CertificateFactory unknown(dir_ + "/unknown", "Unknown CA");
    const auto u = unknown.issue("app", {"app.internal.test"});
    unknownCa = {u.cert, u.key};
    CertificateFactory expiring(dir_ + "/own", "Own CA");
    ownCaPath = expiring.caPath();
    const auto e = expiring.issue("app", {"app.internal.test"},
                                  CertificateFactory::KeyType::kEcdsaP256, -10, -1);
    expired = {e.cert, e.key};
  }
  ~ForeignCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  CertFactory::Issued unknownCa;  // app.internal.test, signed by a CA nobody configured
  CertFactory::Issued expired;    // app.internal.test, signed by ownCaPath, expired yesterday
  std::string ownCaPath;

 private:
  std::string dir_;
};

class BridgeTest : public ::testing::Test {
 protected:
  static CertFactory& certs() { return CertFactory::instance(); }
  static const CertFactory::Issued& appCert() {
    static const CertFactory::Issued cert = certs().issue({"app.internal.test"});
    return cert;
  }

  // An https-bridge VIP in front of `origin` through a group with the `tls` keys given.
  std::string config(const TestOrigin& origin, const std::string& tls,
                     const std::string& serverName = "s1") {
    static const CertFactory::Issued shop = certs().issue({"shop.example.test"});
    return "global: {workers: 1}\n"
           "certificates:\n  - {name: shop, cert: " +
           shop.cert + ", key: " + shop.key +
           "}\n"
           "server_groups:\n"
           "  - name: secure\n    protocol: https\n    timeouts: {connect: 2s}\n" +
           tls + "    servers: [{name: " + serverName + ", address: " + origin.address() +
           "}]\n"
           "vips:\n"
           "  - name: shop\n    listen: 127.0.0.1:" +
           std::to_string(port_) +
           "\n    service: https-bridge\n    certificates: [shop]\n    default_group: secure\n";
  }
  std::string curl(const std::string& path, const std::string& flags = "") {
    const std::string p = std::to_string(port_);
    std::string out;
    runCommand("curl -sS --max-time 20 --cacert " + certs().caPath() +
                   " --resolve shop.example.test:" + p + ":127.0.0.1 " + flags +
                   " https://shop.example.test:" + p + path,
               out);
    return out;
  }
  std::string caLine() const { return "    tls: {ca: " + certs().caPath() + ", "; }

  uint16_t port_ = freePort();
  std::shared_ptr<TlsOriginStats> stats_ = std::make_shared<TlsOriginStats>();
};

TEST_F(BridgeTest, TheOriginGetsTlsAndForwardedHeaders) {
  TestOrigin origin(tlsWrapped(httpOrigin("app"), appCert(), stats_));
  SluiceProcess sluice(config(origin, caLine() + "sni: app.internal.test}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string echo = curl("/echo", "-H 'X-Forwarded-Proto: http'");
  EXPECT_NE(echo.find("GET /echo HTTP/1.1\r\n"), std::string::npos) << echo;
  EXPECT_NE(echo.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << echo;
  EXPECT_NE(echo.find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << "spoofed header kept";
  EXPECT_EQ(stats_->handshakes, 1);
  std::lock_guard lock(stats_->mutex);
  EXPECT_EQ(stats_->serverNames, std::vector<std::string>{"app.internal.test"});
  EXPECT_TRUE(sluice.stderrText().find("verify is false") == std::string::npos);
}

TEST_F(BridgeTest, AServerNamedByItsHostNameIsVerifiedByDefaultWithTheCaGiven) {
  TestOrigin origin(tlsWrapped(httpOrigin("app"), appCert(), stats_));
  SluiceProcess sluice(
      config(origin, "    tls: {ca: " + certs().caPath() + "}\n", "app.internal.test"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(curl("/"), "hello from app\n");
  std::lock_guard lock(stats_->mutex);
  EXPECT_EQ(stats_->serverNames, std::vector<std::string>{"app.internal.test"});
}

// Each way a backend can fail to prove who it is: 502, the reason in the log, and not one
// request byte reaches it.
TEST_F(BridgeTest, UnverifiableBackendsNeverSeeARequest) {
  static ForeignCertificates foreign;
  struct Case {
    const char* what;
    CertFactory::Issued cert;
    std::string ca;
    std::string sni;
    const char* reason;
  };
  const Case cases[] = {
      {"unknown CA", foreign.unknownCa, certs().caPath(), "app.internal.test",
       "certificate verify failed: unable to get local issuer certificate"},
      {"wrong name", appCert(), certs().caPath(), "billing.internal.test",
       "certificate verify failed: hostname mismatch"},
      {"expired", foreign.expired, foreign.ownCaPath, "app.internal.test",
       "certificate verify failed: certificate has expired"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto stats = std::make_shared<TlsOriginStats>();
    TestOrigin origin(tlsWrapped(httpOrigin("app"), c.cert, stats));
    const uint16_t admin = freePort();
    SluiceProcess sluice(
        withAdmin(config(origin, "    tls: {ca: " + c.ca + ", sni: " + c.sni + "}\n"), admin));
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    const std::string out = curl("/secret", "-o /dev/null -w '%{http_code}'");
    EXPECT_EQ(out, "502");
    EXPECT_EQ(stats->handshakes, 0) << "the handshake must not complete";
    EXPECT_EQ(stats->sessions, 0) << "no request may reach the server";
    ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
    const auto record = sluice.accessLog()[0];
    EXPECT_EQ(record["status"], 502);
    EXPECT_EQ(record["error"], c.reason) << record.dump();
    EXPECT_EQ(metricSum(scrapeMetrics(admin), "sluice_server_tls_failures_total{group=\"secure\""),
              1);
    sluice.signal(SIGTERM);
    sluice.waitExit();
  }
}

TEST_F(BridgeTest, VerifyFalseWorksAndWarnsAtLoad) {
  static ForeignCertificates foreign;
  TestOrigin origin(tlsWrapped(httpOrigin("app"), foreign.unknownCa, stats_));
  SluiceProcess sluice(config(origin, "    tls:\n      verify: false\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(curl("/"), "hello from app\n");
  EXPECT_NE(sluice.stderrText().find(":9: server_groups[0].tls.verify is false"), std::string::npos)
      << sluice.stderrText();
}

TEST_F(BridgeTest, SniClientPassesTheClientsNameOn) {
  const CertFactory::Issued both = certs().issue({"shop.example.test", "app.internal.test"});
  TestOrigin origin(tlsWrapped(httpOrigin("app"), both, stats_));
  SluiceProcess sluice(config(origin, caLine() + "sni: client}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(curl("/"), "hello from app\n");
  std::lock_guard lock(stats_->mutex);
  EXPECT_EQ(stats_->serverNames, std::vector<std::string>{"shop.example.test"});
}

TEST_F(BridgeTest, ClientCertificateForOriginsThatRequireOne) {
  const CertFactory::Issued lb = certs().issue({"lb.internal.test"});
  TestOrigin origin(tlsWrapped(httpOrigin("app"), appCert(), stats_, /*requireClientCert=*/true));
  {
    SluiceProcess sluice(config(origin, caLine() + "sni: app.internal.test, client_cert: {cert: " +
                                            lb.cert + ", key: " + lb.key + "}}\n"));
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    EXPECT_EQ(curl("/"), "hello from app\n");
    std::lock_guard lock(stats_->mutex);
    EXPECT_EQ(stats_->clientCerts, std::vector<std::string>{"lb.internal.test"});
  }
  // Without one, the origin refuses the handshake and the client gets 502, not a hang.
  SluiceProcess sluice(config(origin, caLine() + "sni: app.internal.test}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(curl("/", "-o /dev/null -w '%{http_code}'"), "502");
  EXPECT_EQ(stats_->sessions, 1) << "only the request with a certificate got through";
}

TEST_F(BridgeTest, BackendConnectionsAreReusedAndSessionsResumed) {
  TestOrigin origin(tlsWrapped(httpOrigin("app"), appCert(), stats_));
  SluiceProcess sluice(config(origin, caLine() + "sni: app.internal.test}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // Ten clients one after the other, each on its own connection: one server connection.
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(curl("/"), "hello from app\n");
  EXPECT_EQ(origin.accepted(), 1) << "pooled: one TLS connection to the server for all";
  // A response delimited by closing the connection forces a new connection for the next
  // request: the first goes over the pooled connection, the next two over new ones, which
  // resume the TLS session instead of a full handshake.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(curl("/close/5").size(), 5u);
  EXPECT_EQ(origin.accepted(), 3);
  EXPECT_EQ(stats_->handshakes, 3);
  EXPECT_EQ(stats_->resumed, 2) << "new connections resume the session";
}

// Bodies cross two TLS connections in both directions, through partial TLS writes and
// backpressure on either side.
TEST_F(BridgeTest, StreamsLargeBodiesBothWaysIntact) {
  TestOrigin origin(tlsWrapped(httpOrigin("app"), appCert(), stats_));
  SluiceProcess sluice(config(origin, caLine() + "sni: app.internal.test}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  constexpr size_t kSize = 20u << 20;
  char dirTemplate[] = "/tmp/sluice-bridge-body-XXXXXX";
  const std::string dir = ::mkdtemp(dirTemplate);
  RunningHash upload;
  {
    std::ofstream file(dir + "/up.bin", std::ios::binary);
    PatternStream pattern(99);
    std::string chunk(1 << 20, '\0');
    for (size_t done = 0; done < kSize; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      upload.add(chunk.data(), chunk.size());
      file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  EXPECT_EQ(curl("/upload", "--data-binary @" + dir + "/up.bin"),
            "len=" + std::to_string(kSize) + " hash=" + std::to_string(upload.value()));
  RunningHash download;
  {
    PatternStream pattern(7);
    std::string chunk(256 * 1024, '\0');
    for (size_t done = 0; done < kSize; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      download.add(chunk.data(), chunk.size());
    }
  }
  for (const std::string path : {"/bytes/", "/chunked/"}) {
    curl(path + std::to_string(kSize), "-o " + dir + "/down.bin");
    std::ifstream file(dir + "/down.bin", std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(file)), {});
    RunningHash got;
    got.add(data.data(), data.size());
    EXPECT_EQ(data.size(), kSize) << path;
    EXPECT_EQ(got.value(), download.value()) << path;
  }
  std::filesystem::remove_all(dir);
}

// One port: bank.example.test is passed through untouched (the client sees the bank's own
// certificate), every other name is terminated with the VIP's certificate.
TEST(MixedListener, PassesOneNameThroughAndTerminatesTheOthers) {
  CertFactory& certs = CertFactory::instance();
  const CertFactory::Issued bank = certs.issue({"bank.example.test"});
  const CertFactory::Issued shop = certs.issue({"shop.example.test"});
  TestOrigin bankOrigin(tlsOrigin("bank", bank, /*expectProxy=*/true));
  TestOrigin web(httpOrigin("web"));
  const uint16_t port = freePort();
  SluiceProcess sluice(
      "global: {workers: 1}\n"
      "certificates:\n  - {name: shop, cert: " +
      shop.cert + ", key: " + shop.key +
      "}\n"
      "server_groups:\n"
      "  - {name: web, protocol: http, servers: [{name: w1, address: " +
      web.address() +
      "}]}\n"
      "  - {name: bank-tls, protocol: tcp, proxy_protocol: v2, servers: [{name: b1, address: " +
      bankOrigin.address() +
      "}]}\n"
      "vips:\n"
      "  - name: edge\n    listen: 127.0.0.1:" +
      std::to_string(port) +
      "\n    service: https-offload\n    certificates: [shop]\n    default_group: web\n"
      "    sni_routes:\n      - {sni: bank.example.test, mode: passthrough, group: bank-tls}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const TlsResult passed = tlsRequest(port, "bank.example.test");
  ASSERT_TRUE(passed.handshake);
  EXPECT_EQ(passed.peerSubject, "bank.example.test");
  EXPECT_EQ(passed.body.rfind("origin=bank proxy=2 ", 0), 0u) << passed.body;
  EXPECT_NE(passed.body.find("authority=bank.example.test"), std::string::npos);

  const TlsResult terminated = tlsRequest(port, "shop.example.test");
  ASSERT_TRUE(terminated.handshake);
  EXPECT_EQ(terminated.peerSubject, "shop.example.test");
  EXPECT_EQ(terminated.body, "hello from web\n");

  // The peeked bytes reach the TLS engine however the ClientHello was cut.
  const TlsResult dribbled = tlsRequest(port, "shop.example.test", "", 1ms);
  ASSERT_TRUE(dribbled.handshake);
  EXPECT_EQ(dribbled.body, "hello from web\n");

  // No SNI: the VIP terminates (with its default certificate).
  const TlsResult anonymous = tlsRequest(port, "");
  EXPECT_EQ(anonymous.peerSubject, "shop.example.test");

  // curl, with HTTP/1.1 keep-alive, on the terminated side.
  std::string out;
  const std::string p = std::to_string(port);
  runCommand("curl -sS --max-time 20 --cacert " + certs.caPath() +
                 " --resolve shop.example.test:" + p + ":127.0.0.1 https://shop.example.test:" + p +
                 "/a https://shop.example.test:" + p + "/b",
             out);
  EXPECT_EQ(out, "hello from web\nhello from web\n");

  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() >= 6; }, 5s));
  int passthrough = 0, http = 0;
  for (const auto& record : sluice.accessLog()) {
    if (record.contains("mode") && record["mode"] == "passthrough") {
      ++passthrough;
      EXPECT_EQ(record["sni"], "bank.example.test");
    } else if (record.contains("status")) {
      ++http;
    }
  }
  EXPECT_EQ(passthrough, 1);
  EXPECT_EQ(http, 5);
}

}  // namespace
}  // namespace sluice::test
