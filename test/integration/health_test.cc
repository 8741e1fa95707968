// Health checks and the server lifecycle end to end: the real sluice binary in front of origins
// the test stops, breaks and restores, and curl / raw sockets as clients. Timings are asserted
// with margins (a state must change within several check intervals), never tightly.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <map>
#include <memory>
#include <set>

#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// Checks every 200 ms; two failures take a server down, two successes bring it back: a state
// changes within about half a second, asserted within 5 s.
constexpr auto kStateChange = 5s;

struct Answer {
  int status = 0;
  std::string origin;
};

Answer get(uint16_t port, const std::string& path = "/", const std::string& flags = "") {
  std::string out;
  runCommand(
      "curl -sS -i --max-time 10 " + flags + " http://127.0.0.1:" + std::to_string(port) + path,
      out);
  Answer answer;
  if (out.rfind("HTTP/1.1 ", 0) == 0) answer.status = std::stoi(out.substr(9, 3));
  const size_t at = out.find("X-Origin: ");
  if (at != std::string::npos) answer.origin = out.substr(at + 10, out.find("\r\n", at) - at - 10);
  return answer;
}

class HealthTest : public ::testing::Test {
 protected:
  HealthTest() {
    for (int i = 0; i < 3; ++i) {
      status_.push_back(std::make_shared<std::atomic<int>>(200));
      origins_.push_back(
          std::make_unique<TestOrigin>(httpOrigin("w" + std::to_string(i + 1), status_[i])));
    }
  }
  // An http VIP and a tcp VIP in front of the three origins (`extra` server keys per server,
  // e.g. ", backup: true"), with `group` keys.
  std::string config(const std::string& group, const std::vector<std::string>& extra = {}) {
    std::string servers;
    for (size_t i = 0; i < origins_.size(); ++i) {
      servers += "      - {name: w" + std::to_string(i + 1) +
                 ", address: " + origins_[i]->address() + (i < extra.size() ? extra[i] : "") +
                 "}\n";
    }
    return "global: {workers: 1}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n    retries: 2\n    timeouts: {connect: 1s}\n" +
           group + "    servers:\n" + servers + "  - name: raw\n    protocol: tcp\n" + group +
           "    servers:\n" + servers +
           "vips:\n"
           "  - {name: web, listen: 127.0.0.1:" +
           std::to_string(port_) +
           ", service: http, default_group: web}\n"
           "  - {name: raw, listen: 127.0.0.1:" +
           std::to_string(tcpPort_) + ", service: tcp, default_group: raw}\n";
  }
  // Origins seen over `n` requests; every request must succeed.
  std::set<std::string> spread(int n) {
    std::set<std::string> seen;
    for (int i = 0; i < n; ++i) {
      const Answer answer = get(port_);
      EXPECT_EQ(answer.status, 200) << "request " << i;
      seen.insert(answer.origin);
    }
    return seen;
  }

  static constexpr const char* kHttpCheck =
      "    health: {type: http, path: /healthz, expect: {status: \"200-399\", body_contains: ok}, "
      "interval: 200ms, timeout: 150ms, rise: 2, fall: 2, jitter: 10%}\n";
  static constexpr const char* kTcpCheck =
      "    health: {type: tcp, interval: 200ms, timeout: 150ms, rise: 2, fall: 2}\n";

  std::vector<std::shared_ptr<std::atomic<int>>> status_;
  std::vector<std::unique_ptr<TestOrigin>> origins_;
  uint16_t port_ = freePort();
  uint16_t tcpPort_ = freePort();
};

TEST_F(HealthTest, AStoppedServerLeavesRotationAndNoRequestFails) {
  SluiceProcess sluice(config(kTcpCheck));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(spread(9).size(), 3u);
  origins_[1]->stop();
  ASSERT_TRUE(eventually(
      [&] {
        return sluice.stderrText().find("server web/w2 is down: connect: Connection refused") !=
               std::string::npos;
      },
      kStateChange))
      << sluice.stderrText();
  const size_t before = sluice.accessLog().size();
  const auto seen = spread(20);
  EXPECT_EQ(seen, (std::set<std::string>{"w1", "w3"}));
  // Not one connect to the stopped server: the checker took it out, not the retries.
  const auto log = sluice.accessLog();
  for (size_t i = before; i < log.size(); ++i)
    EXPECT_FALSE(log[i].contains("error")) << log[i];
}

TEST_F(HealthTest, A500OnHealthzTakesAServerOutUntilItRecovers) {
  SluiceProcess sluice(config(kHttpCheck));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  status_[0]->store(500);
  ASSERT_TRUE(eventually(
      [&] {
        const std::string log = sluice.stderrText();
        return log.find("server web/w1 is down: HTTP status 500") != std::string::npos &&
               log.find("server raw/w1 is down: HTTP status 500") != std::string::npos;
      },
      kStateChange))
      << sluice.stderrText();
  EXPECT_EQ(spread(12), (std::set<std::string>{"w2", "w3"}));
  status_[0]->store(200);
  ASSERT_TRUE(eventually(
      [&] {
        const std::string log = sluice.stderrText();
        return log.find("server web/w1 is up: 2 check(s) passed") != std::string::npos &&
               log.find("server raw/w1 is up: 2 check(s) passed") != std::string::npos;
      },
      kStateChange))
      << sluice.stderrText();
  EXPECT_EQ(spread(12).size(), 3u);
  sluice.signal(SIGTERM);
  sluice.waitExit();
  EXPECT_NE(sluice.stderrText().find("servers_down=2 servers_up=2"), std::string::npos)
      << "w1 in both groups, down and up again\n"
      << sluice.stderrText();
}

TEST_F(HealthTest, RepeatedConnectFailuresEjectAServer) {
  origins_[2]->stop();
  SluiceProcess sluice(config("    passive: {consecutive_failures: 2, ejection: 30s}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(spread(12), (std::set<std::string>{"w1", "w2"}));  // retries hide the dead one
  ASSERT_TRUE(eventually(
      [&] {
        return sluice.stderrText().find("server web/w3 ejected for 30s: 2 failures in a row") !=
               std::string::npos;
      },
      kStateChange))
      << sluice.stderrText();
  const size_t before = sluice.accessLog().size();
  EXPECT_EQ(spread(12), (std::set<std::string>{"w1", "w2"}));
  const auto log = sluice.accessLog();
  for (size_t i = before; i < log.size(); ++i)
    EXPECT_FALSE(log[i].contains("error")) << log[i];
}

TEST_F(HealthTest, BackupsServeOnlyWhenEveryPrimaryIsDown) {
  SluiceProcess sluice(config(kTcpCheck, {"", "", ", backup: true"}));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(spread(12), (std::set<std::string>{"w1", "w2"}));
  origins_[0]->stop();
  origins_[1]->stop();
  ASSERT_TRUE(eventually(
      [&] {
        return sluice.stderrText().find("server web/w2 is down") != std::string::npos &&
               sluice.stderrText().find("server web/w1 is down") != std::string::npos;
      },
      kStateChange));
  EXPECT_EQ(spread(6), (std::set<std::string>{"w3"}));
}

TEST_F(HealthTest, WithEveryServerDown503AtLayer7AndACloseAtLayer4) {
  SluiceProcess sluice(config(kTcpCheck));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (auto& origin : origins_)
    origin->stop();
  ASSERT_TRUE(eventually(
      [&] {
        const std::string text = sluice.stderrText();
        return text.find("server web/w1 is down") != std::string::npos &&
               text.find("server web/w2 is down") != std::string::npos &&
               text.find("server web/w3 is down") != std::string::npos &&
               text.find("server raw/w3 is down") != std::string::npos;
      },
      kStateChange));
  std::string out;
  runCommand("curl -sS -i --max-time 10 http://127.0.0.1:" + std::to_string(port_) + "/", out);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 503") << out;
  EXPECT_NE(out.find("Retry-After: 5\r\n"), std::string::npos) << out;
  const int fd = connectLocal(tcpPort_);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readUntilClose(fd, 5s), "") << "closed at once, nothing sent";
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() >= 2; }, 5s));
  std::set<std::string> ends;
  for (const auto& record : sluice.accessLog())
    ends.insert(record["end"]);
  EXPECT_TRUE(ends.count("no_server")) << "both logged with why";
}

TEST_F(HealthTest, ADrainingServerGetsNoNewRequests) {
  SluiceProcess sluice(config("", {"", ", drain: true", ""}));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(spread(12), (std::set<std::string>{"w1", "w3"}));
}

// An open tcp connection to a server keeps working when the server is taken out of rotation:
// only new connections go elsewhere.
TEST_F(HealthTest, OpenConnectionsOutliveTheirServersLeavingRotation) {
  SluiceProcess sluice(config(kHttpCheck));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // A keep-alive HTTP client on the tcp VIP (bytes relayed untouched).
  const int fd = connectLocal(tcpPort_);
  ASSERT_GE(fd, 0);
  writeAll(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  // The server that answered: the digit after "hello from w".
  auto answeredBy = [&] {
    readUntil(fd, "hello from w", 5s);
    return readUntil(fd, "\n", 5s);
  };
  const std::string first = answeredBy();
  ASSERT_EQ(first.size(), 2u) << first;
  const int index = first[0] - '1';
  ASSERT_TRUE(index >= 0 && index < 3) << first;
  status_[index]->store(503);
  ASSERT_TRUE(eventually(
      [&] {
        return sluice.stderrText().find("server raw/w" + std::to_string(index + 1) + " is down") !=
               std::string::npos;
      },
      kStateChange));
  writeAll(fd, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(answeredBy(), first) << "the same server, on the same connection";
  ::close(fd);
}

TEST(HealthRetries, AnIdempotentRequestIsRetriedAPostWithABodyIsNot) {
  TestOrigin resetting(resettingOrigin());
  TestOrigin healthy(httpOrigin("ok"));
  const uint16_t port = freePort();
  SluiceProcess sluice(
      "global: {workers: 1}\n"
      "server_groups:\n"
      "  - name: web\n    protocol: http\n    retries: 1\n    balance: round_robin\n"
      "    servers: [{name: bad, address: " +
      resetting.address() + "}, {name: ok, address: " + healthy.address() +
      "}]\n"
      "vips:\n  - {name: web, listen: 127.0.0.1:" +
      std::to_string(port) + ", service: http, default_group: web}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // Round robin sends every other request to the resetting server first.
  for (int i = 0; i < 6; ++i) {
    const Answer answer = get(port, "/page");
    EXPECT_EQ(answer.status, 200) << i;
    EXPECT_EQ(answer.origin, "ok");
  }
  int failed = 0;
  for (int i = 0; i < 6; ++i) {
    failed += get(port, "/upload", "--data-binary 'order=42'").status == 502;
  }
  EXPECT_EQ(failed, 3) << "a POST that reached the resetting server is never sent twice";
  EXPECT_GE(resetting.accepted(), 6);
}

TEST(HealthQueue, MaxConnectionsQueuesBrieflyThen503) {
  TestOrigin origin(httpOrigin("w1"));
  const uint16_t port = freePort();
  auto config = [&](const std::string& queue) {
    return "global: {workers: 1}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n    max_connections: 1\n"
           "    timeouts: {queue: " +
           queue + "}\n    servers: [{name: w1, address: " + origin.address() +
           "}]\n"
           "vips:\n  - {name: web, listen: 127.0.0.1:" +
           std::to_string(port) + ", service: http, default_group: web}\n";
  };
  {
    SluiceProcess sluice(config("3s"));
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    auto slow = std::async(std::launch::async, [&] { return get(port, "/slow/500").status; });
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(get(port, "/").status, 200) << "waited for the busy server";
    EXPECT_EQ(slow.get(), 200);
  }
  SluiceProcess sluice(config("100ms"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  auto slow = std::async(std::launch::async, [&] { return get(port, "/slow/1000").status; });
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(get(port, "/").status, 503);
  EXPECT_EQ(slow.get(), 200);
}

// tcp and tls checks for the servers of passthrough groups.
TEST(HealthTls, TlsChecksOnAPassthroughGroup) {
  CertFactory& certs = CertFactory::instance();
  const CertFactory::Issued a = certs.issue({"a.example.test"});
  auto origin = std::make_unique<TestOrigin>(tlsOrigin("a", a));
  TestOrigin other(tlsOrigin("b", certs.issue({"b.example.test"})));
  const uint16_t port = freePort();
  SluiceProcess sluice(
      "global: {workers: 1}\n"
      "server_groups:\n"
      "  - name: tls\n    protocol: tcp\n"
      "    health: {type: tls, interval: 200ms, timeout: 150ms, rise: 1, fall: 2}\n"
      "    servers: [{name: a, address: " +
      origin->address() + "}, {name: b, address: " + other.address() +
      "}]\n"
      "vips:\n  - {name: tls, listen: 127.0.0.1:" +
      std::to_string(port) + ", service: https-passthrough, default_group: tls}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(sluice.stderrText().find("is down"), std::string::npos) << "handshakes succeed: up\n"
                                                                    << sluice.stderrText();
  origin->stop();
  ASSERT_TRUE(eventually(
      [&] { return sluice.stderrText().find("server tls/a is down") != std::string::npos; },
      kStateChange));
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(tlsRequest(port, "b.example.test").peerSubject, "b.example.test");
  }
}

}  // namespace
}  // namespace sluice::test
