// Health checks and the server lifecycle end to end: the real sluice binary in front of origins
// the test stops, breaks and restores, and curl / raw sockets as clients. Timings are asserted
// with margins (a state must change within several check intervals), never tightly.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

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
      answers_.push_back(std::make_shared<std::atomic<int>>(200));
      origins_.push_back(std::make_unique<TestOrigin>(
          httpOrigin("w" + std::to_string(i + 1), status_[i], answers_[i])));
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

  std::vector<std::shared_ptr<std::atomic<int>>> status_;   // each origin's /healthz
  std::vector<std::shared_ptr<std::atomic<int>>> answers_;  // each origin's other answers
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

// `n` requests one after another over one connection, each answer's status and origin:
// HTTP/1.1 keep-alive (curl), or HTTP/2 streams (h2c, a Python h2 client: each stream starts
// when the last one ended).
std::vector<Answer> getOverOneConnection(uint16_t port, int n, bool http2) {
  std::string command;
  if (http2) {
    command = "/usr/bin/python3 " + std::string(SLUICE_PROJECT_DIR) +
              "/test/h2/sequential_get.py " + std::to_string(port) + " " + std::to_string(n);
  } else {
    command = "curl -sS --max-time 20 -w '%{http_code} %header{x-origin}\\n'";
    for (int i = 0; i < n; ++i) {
      command += " -o /dev/null http://127.0.0.1:" + std::to_string(port) + "/";
    }
  }
  std::string out;
  runCommand(command, out);
  std::vector<Answer> answers;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0]))) {
      ADD_FAILURE() << "curl said: " << line;
      continue;
    }
    Answer answer;
    answer.status = std::atoi(line.c_str());
    if (line.size() > 4) answer.origin = line.substr(4);
    answers.push_back(answer);
  }
  return answers;
}

// A server answering its traffic with 500 (its health page still fine) is ejected after
// `consecutive_failures` and gets nothing more for the ejection time, whatever the client's
// connections: one request each, keep-alive, HTTP/2 streams. One ejection, logged once.
class PassiveEjectionTest : public HealthTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(PassiveEjectionTest, ServerErrorsEjectTheServerForTheEjectionTime) {
  const std::string client = GetParam();
  const std::string h2c = client == "http2" ? ", http2: {h2c: true}" : "";
  std::string cfg = config("    passive: {consecutive_failures: 2, ejection: 60s}\n");
  cfg.replace(cfg.find("default_group: web}"), 19, "default_group: web" + h2c + "}");
  SluiceProcess sluice(cfg);
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  answers_[0]->store(500);
  std::vector<Answer> answers;
  if (client == "fresh") {
    for (int i = 0; i < 24; ++i)
      answers.push_back(get(port_));
  } else {
    answers = getOverOneConnection(port_, 24, client == "http2");
  }
  ASSERT_EQ(answers.size(), 24u);
  int bad = 0;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].origin == "w1") {
      ++bad;
      EXPECT_EQ(answers[i].status, 500) << "request " << i;
    } else {
      EXPECT_EQ(answers[i].status, 200) << "request " << i;
    }
  }
  EXPECT_EQ(bad, 2) << "two 500s eject it; nothing reaches it after";
  ASSERT_TRUE(eventually(
      [&] {
        return sluice.stderrText().find(
                   "server web/w1 ejected for 1m: 2 failures in a row, the "
                   "last: HTTP status 500") != std::string::npos;
      },
      kStateChange))
      << sluice.stderrText();
  const std::string log = sluice.stderrText();
  EXPECT_EQ(log.find("ejected"), log.rfind("ejected")) << "one ejection\n" << log;
}

INSTANTIATE_TEST_SUITE_P(Clients, PassiveEjectionTest,
                         ::testing::Values("fresh", "keepalive", "http2"),
                         [](const auto& info) { return std::string(info.param); });

// Sluice's own shortage of file descriptors is not the servers' fault. With its descriptor
// limit lowered under a crowd of keep-alive clients, requests that find no descriptor get 503
// and the listener pauses; no server is ejected or marked down; once the clients leave, every
// server serves again at once. A reload that raises max_connections past the limit warns.
TEST_F(HealthTest, RunningOutOfDescriptorsEjectsNoServer) {
  SluiceProcess sluice(
      config(std::string(kHttpCheck) + "    passive: {consecutive_failures: 2, ejection: 60s}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  ASSERT_EQ(spread(6).size(), 3u);
  const std::string fdDir = "/proc/" + std::to_string(sluice.pid()) + "/fd";
  size_t open = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(fdDir))
    ++open;
  const size_t limit = open + 24;
  std::string out;
  ASSERT_EQ(runCommand("prlimit --pid " + std::to_string(sluice.pid()) +
                           " --nofile=" + std::to_string(limit) + ":" + std::to_string(limit),
                       out),
            0)
      << out;

  constexpr int kClients = 60;
  std::vector<int> clients;
  for (int i = 0; i < kClients; ++i) {
    const int fd = connectLocal(port_);
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
  }
  for (int fd : clients)
    writeAll(fd, "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n");
  int served = 0, refused = 0, waiting = 0;
  std::this_thread::sleep_for(1s);  // every answer that can come has come
  for (int fd : clients) {
    const std::string head = readUntil(fd, "\r\n\r\n", 20ms);
    if (head.rfind("HTTP/1.1 200", 0) == 0) {
      ++served;
    } else if (head.rfind("HTTP/1.1 503", 0) == 0) {
      ++refused;
    } else {
      ++waiting;  // not accepted yet: in the listen queue while descriptors are short
    }
  }
  EXPECT_GT(served, 0);
  EXPECT_GT(refused + waiting, 0) << "the limit was not reached";
  ASSERT_TRUE(eventually(
      [&] { return sluice.stderrText().find("Too many open files") != std::string::npos; }, 5s))
      << sluice.stderrText();
  for (int fd : clients)
    ::close(fd);

  // The clients are gone (the limit stays low): every server serves at once, none ejected.
  EXPECT_TRUE(eventually(
      [&] {
        std::set<std::string> seen;
        for (int i = 0; i < 6; ++i) {
          const Answer answer = get(port_);
          if (answer.status != 200) return false;
          seen.insert(answer.origin);
        }
        return seen.size() == 3;
      },
      3s));
  const std::string log = sluice.stderrText();
  EXPECT_EQ(log.find("ejected"), std::string::npos) << log;
  EXPECT_EQ(log.find("is down"), std::string::npos) << log;
  bool shortage = false;
  for (const auto& record : sluice.accessLog()) {
    if (record.value("end", "") == "out_of_resources") {
      shortage = true;
      EXPECT_EQ(record.value("status", 0), 503) << record.dump();
    }
  }
  EXPECT_EQ(shortage, refused > 0);

  std::string raised = config(std::string(kHttpCheck));
  raised.replace(raised.find("{workers: 1}"), 12, "{workers: 1, max_connections: 5000}");
  ASSERT_TRUE(sluice.reload(raised)) << sluice.stderrText();
  EXPECT_NE(sluice.stderrText().find("global.max_connections 5000 needs about 11024 file "
                                     "descriptors, but this process may open only " +
                                     std::to_string(limit)),
            std::string::npos)
      << sluice.stderrText();
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
