// What an operator expects around the data path: a second Sluice cannot silently share the
// ports of the first, logrotate works, every failed TLS handshake is on the record.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/metrics_scrape.h"
#include "support/net_helpers.h"
#include "support/recording_origin.h"
#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

std::vector<nlohmann::json> readJsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    out.push_back(nlohmann::json::parse(line));  // throws (fails the test) on invalid JSON
  }
  return out;
}

class GuardRailsTest : public ::testing::Test {
 protected:
  std::string config(const std::string& global = "") {
    static const CertFactory::Issued cert = CertFactory::instance().issue({"shop.example.test"});
    return "global: {workers: 2" + global +
           "}\n"
           "certificates:\n  - {name: shop, cert: " +
           cert.cert + ", key: " + cert.key +
           "}\n"
           "server_groups:\n  - name: web\n    protocol: http\n"
           "    servers: [{name: o1, address: " +
           origin_.address() +
           "}]\n"
           "vips:\n"
           "  - {name: plain, listen: 127.0.0.1:" +
           std::to_string(plainPort_) +
           ", service: http, default_group: web}\n"
           "  - name: shop\n    listen: 127.0.0.1:" +
           std::to_string(tlsPort_) +
           "\n    service: https-offload\n    certificates: [shop]\n    default_group: web\n"
           "    timeouts: {client_header: 500ms}\n";
  }
  std::string get(const std::string& target) {
    return exchangeOnce(plainPort_,
                        "GET " + target + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 5s);
  }

  uint16_t plainPort_ = freePort();
  uint16_t tlsPort_ = freePort();
  RecordingOrigin origin_;
};

TEST_F(GuardRailsTest, ASecondSluiceOnTheSamePortsRefusesToStart) {
  SluiceProcess first(config());
  ASSERT_TRUE(first.waitReady()) << first.stderrText();
  SluiceProcess second(config());
  EXPECT_FALSE(second.waitReady());
  EXPECT_EQ(second.waitExit(), 1);
  EXPECT_NE(second.stderrText().find(
                "vips[0] (plain): cannot listen on 127.0.0.1:" + std::to_string(plainPort_) +
                ": bind: Address already in use (another process is "
                "listening there)"),
            std::string::npos)
      << second.stderrText();
  // The first one still has all the traffic.
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(get("/x").find("seen GET /x"), std::string::npos);
}

TEST_F(GuardRailsTest, Sigusr1ReopensTheAccessLogForLogrotate) {
  const std::string dir = testing::TempDir() + "/rotate-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string log = dir + "/access.log";
  SluiceProcess sluice(config(", access_log: " + log));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  get("/before");
  ASSERT_TRUE(eventually([&] { return readJsonLines(log).size() == 1; }, 5s));
  std::filesystem::rename(log, log + ".1");  // what logrotate does
  get("/moved");                             // still written to the moved file
  sluice.signal(SIGUSR1);
  ASSERT_TRUE(eventually(
      [&] { return sluice.stderrText().find("SIGUSR1: access log reopened") != std::string::npos; },
      5s));
  get("/after");
  ASSERT_TRUE(eventually(
      [&] { return std::filesystem::exists(log) && readJsonLines(log).size() == 1; }, 5s));
  EXPECT_EQ(readJsonLines(log)[0]["path"], "/after");
  EXPECT_EQ(readJsonLines(log + ".1").size(), 2u);
  sluice.signal(SIGTERM);
  EXPECT_EQ(sluice.waitExit(), 0) << "SIGUSR1 does not stop Sluice";
  std::filesystem::remove_all(dir);
}

TEST_F(GuardRailsTest, FailedAndTimedOutHandshakesAreLoggedAndCounted) {
  const uint16_t admin = freePort();
  SluiceProcess sluice(withAdmin(config(), admin));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // Not TLS at all.
  int fd = connectLocal(tlsPort_);
  writeAll(fd, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  readUntilClose(fd, 5s);
  ::close(fd);
  // A client that connects and says nothing: client_header (500ms) ends its handshake.
  fd = connectLocal(tlsPort_);
  readUntilClose(fd, 5s);
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() >= 2; }, 5s));
  std::multiset<std::string> ends;
  for (const auto& record : sluice.accessLog()) {
    ends.insert(record["end"].get<std::string>());
    EXPECT_EQ(record["vip"], "shop");
    if (record["end"] == "tls_handshake_failed") {
      EXPECT_FALSE(record["error"].get<std::string>().empty()) << record.dump();
    }
  }
  EXPECT_EQ(ends.count("tls_handshake_failed"), 1u);
  EXPECT_EQ(ends.count("tls_handshake_timeout"), 1u);
  const std::string page = scrapeMetrics(admin);
  EXPECT_EQ(metricSum(page,
                      "sluice_tls_handshakes_total{vip=\"shop\",version=\"none\","
                      "resumed=\"false\",result=\"failed\""),
            1)
      << page;
  EXPECT_EQ(metricSum(page,
                      "sluice_tls_handshakes_total{vip=\"shop\",version=\"none\","
                      "resumed=\"false\",result=\"timeout\""),
            1);
  EXPECT_EQ(metricSum(page, "sluice_connections_closed_total{vip=\"shop\",result=\"tls_error\""),
            2);
  sluice.signal(SIGTERM);
  sluice.waitExit();
}

}  // namespace
}  // namespace sluice::test
