// Request integrity end to end: the real sluice binary between raw clients and an origin that
// records every byte it receives. What an attacker sends must never make the origin read a
// message other than the one Sluice's rules saw, nor let one client's request swallow
// another's.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/net_helpers.h"
#include "support/recording_origin.h"
#include "support/sluice_process.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

class RequestIntegrityTest : public ::testing::Test {
 protected:
  explicit RequestIntegrityTest(RecordingOrigin::Answer answer = nullptr)
      : origin_(std::move(answer)) {}

  std::string config(const std::string& vipExtra = "") {
    return "global: {workers: 1}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n    timeouts: {connect: 1s, idle: 30s}\n"
           "    servers: [{name: o1, address: " +
           origin_.address() +
           "}]\n"
           "vips:\n"
           "  - name: plain\n    listen: 127.0.0.1:" +
           std::to_string(port_) + "\n    service: http\n    default_group: web\n" + vipExtra;
  }
  // Sends `bytes` on a new connection; returns all that comes back until Sluice closes it (or
  // `wait` passes without a byte).
  std::string exchange(const std::string& bytes) { return exchangeOnce(port_, bytes, 5s); }

  uint16_t port_ = freePort();
  RecordingOrigin origin_;
};

TEST_F(RequestIntegrityTest, AConnectionOptionCannotStripTheLengthToCaptureTheNextRequest) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // The attack: a body whose length Sluice would drop is a second request's head, left open
  // (Content-Length: 120) to swallow whatever the pooled server connection carries next.
  const std::string attack =
      "POST /x HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 56\r\n\r\n"
      "POST /capture HTTP/1.1\r\nHost: a\r\nContent-Length: 120\r\n\r\n";
  EXPECT_EQ(exchange(attack).substr(0, 15), "HTTP/1.1 400 Ba");
  const std::string victim = exchange(
      "GET /victim HTTP/1.1\r\nHost: a\r\nCookie: session=SECRET\r\nConnection: close\r\n\r\n");
  EXPECT_NE(victim.find("seen GET /victim HTTP/1.1"), std::string::npos) << victim;
  const auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].requestLine, "GET /victim HTTP/1.1");
  EXPECT_EQ(origin_.unparsed(), "") << "the origin saw bytes outside a request";
}

TEST_F(RequestIntegrityTest, NoConnectionOptionRemovesFramingOrHost) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (const char* request : {
           "GET / HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nConnection: close, host\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\nConnection: HOST\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nConnection: transfer-encoding\r\n"
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: "
           "3\r\n\r\nabc",
       }) {
    EXPECT_EQ(exchange(request).substr(0, 15), "HTTP/1.1 400 Ba") << request;
  }
  EXPECT_EQ(origin_.accepted(), 0);
}

TEST_F(RequestIntegrityTest, FieldsTheConnectionOptionsNameAreNotForwarded) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  exchange(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Internal, keep-alive, close\r\n"
      "X-Internal: secret\r\nKeep-Alive: 5\r\nX-Kept: 1\r\n\r\n");
  const auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].count("X-Internal"), 0u);
  EXPECT_EQ(requests[0].count("Keep-Alive"), 0u);
  EXPECT_EQ(requests[0].count("Connection"), 0u);
  EXPECT_EQ(requests[0].field("X-Kept"), "1");
}

TEST_F(RequestIntegrityTest, AChunkedBodyIsReChunkedWithoutExtensions) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string answer = exchange(
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "0005;name=\"v\";x\r\nhello\r\n1;e\r\n!\r\n0\r\nX-Sum: 6\r\nHost: evil\r\n\r\n");
  EXPECT_NE(answer.find("seen POST /up"), std::string::npos) << answer;
  const auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& raw = requests[0].raw;
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), "5\r\nhello\r\n1\r\n!\r\n0\r\nX-Sum: 6\r\n\r\n");
  EXPECT_EQ(requests[0].body, "hello!");
}

TEST_F(RequestIntegrityTest, ChunkExtensionsAreBounded) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string answer =
      exchange("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
               std::string(5000, 'x') + "\r\na\r\n0\r\n\r\n");
  EXPECT_EQ(answer.substr(0, 15), "HTTP/1.1 400 Ba") << answer;
}

TEST_F(RequestIntegrityTest, RulesSeeTheNormalisedPathAndSoDoesTheServer) {
  SluiceProcess sluice(
      config("    rules:\n"
             "      - {name: no-admin, match: {path_prefix: /admin}, action: {deny: 403}}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (const char* target : {"/admin", "/%61dmin", "//admin", "/./admin", "/x/../admin",
                             "http://a/admin", "/%61%64%6D%69%6E/x", "/.//admin//"}) {
    EXPECT_EQ(exchange(std::string("GET ") + target + " HTTP/1.1\r\nHost: a\r\n\r\n").substr(0, 12),
              "HTTP/1.1 403")
        << target;
  }
  EXPECT_EQ(origin_.accepted(), 0);
  exchange("GET /a/./b/../c//d%7e%2f?q=/../%61 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].requestLine, "GET /a/c/d~%2F?q=/../%61 HTTP/1.1");
}

TEST_F(RequestIntegrityTest, PathNormalizationCanBeTurnedOff) {
  SluiceProcess sluice(
      config("    path_normalization: {decode_unreserved: false, remove_dot_segments: false, "
             "merge_slashes: false}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  exchange("GET /a/./b//%61 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].requestLine, "GET /a/./b//%61 HTTP/1.1");
  EXPECT_EQ(exchange("GET /a/../../x HTTP/1.1\r\nHost: a\r\n\r\n").substr(0, 12), "HTTP/1.1 400")
      << "a climb above the root is refused whatever the settings";
}

TEST_F(RequestIntegrityTest, AnH2cUpgradeIsDroppedAndTheRequestServedAsHttp11) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string answer = exchange(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  EXPECT_EQ(answer.substr(0, 15), "HTTP/1.1 200 OK") << answer;
  const auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].count("Upgrade"), 0u);
  EXPECT_EQ(requests[0].count("HTTP2-Settings"), 0u);
  EXPECT_EQ(requests[0].count("Connection"), 0u);
}

TEST_F(RequestIntegrityTest, TooManyFieldsIs431) {
  SluiceProcess sluice(config("    limits: {max_headers: 10}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string fields;
  for (int i = 0; i < 10; ++i)
    fields += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(exchange("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n").substr(0, 12),
            "HTTP/1.1 431");
  EXPECT_EQ(origin_.accepted(), 0);
}

TEST_F(RequestIntegrityTest, ASilentConnectionIsClosedAfterClientHeaderNotKeepAlive) {
  SluiceProcess sluice(
      config("    timeouts: {client_header: 300ms, keep_alive: 60s, client_body: 300ms}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const int fd = connectLocal(port_);
  const auto start = std::chrono::steady_clock::now();
  bool eof = false;
  const std::string answer = readUntilClose(fd, 10s, &eof);
  ::close(fd);
  EXPECT_TRUE(eof);
  EXPECT_EQ(answer, "") << "nothing was asked, so nothing is answered";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "closed long before keep_alive";
}

TEST_F(RequestIntegrityTest, ABodyThatStopsArrivingGets408) {
  SluiceProcess sluice(config("    timeouts: {client_body: 300ms}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const int fd = connectLocal(port_);
  writeAll(fd, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b");
  const std::string answer = readUntilClose(fd, 10s);
  ::close(fd);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 408") << answer;
  ASSERT_TRUE(eventually([&] { return !sluice.accessLog().empty(); }, 5s));
  EXPECT_EQ(sluice.accessLog().back()["end"], "client_body_timeout");
}

// The origin's own answers, for the response side.
class ResponseIntegrityTest : public RequestIntegrityTest {
 protected:
  ResponseIntegrityTest() : RequestIntegrityTest(&answer) {}
  static std::string answer(const ReceivedRequest& request) {
    const std::string line = request.requestLine;
    auto has = [&](const char* path) {
      return line.find(std::string(" ") + path + " ") != std::string::npos;
    };
    if (has("/conn-cl")) {
      return "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello";
    }
    if (has("/conn-te")) {
      return "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: "
             "chunked\r\n\r\n"
             "5\r\nhello\r\n0\r\n\r\n";
    }
    if (has("/te-gzip")) return "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz";
    if (has("/chunked")) {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
             "3;ext\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n";
    }
    if (has("/continue")) {
      return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    }
    if (has("/switch")) {
      return "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: "
             "websocket\r\n\r\n";
    }
    if (has("/decline")) return "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 2\r\n\r\nno";
    return RecordingOrigin::defaultAnswer(request);
  }
};

TEST_F(ResponseIntegrityTest, AResponseWhoseConnectionNamesItsFramingIs502) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (const char* path : {"/conn-cl", "/conn-te", "/te-gzip"}) {
    const std::string answer =
        exchange(std::string("GET ") + path +
                 " HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(answer.substr(0, 15), "HTTP/1.1 502 Ba") << path << "\n" << answer;
    EXPECT_EQ(answer.find("hello"), std::string::npos) << path;
    EXPECT_EQ(answer.find("seen GET /next"), std::string::npos) << "the connection closes";
  }
}

TEST_F(ResponseIntegrityTest, ChunkedResponsesAreReChunkedOrDeChunkedForHttp10) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string v11 = exchange("GET /chunked HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_NE(v11.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << v11;
  EXPECT_NE(v11.find("\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"), std::string::npos)
      << v11;
  const std::string v10 =
      exchange("GET /chunked HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(v10.find("Transfer-Encoding"), std::string::npos) << v10;
  EXPECT_NE(v10.find("Connection: close\r\n"), std::string::npos) << v10;
  EXPECT_EQ(v10.substr(v10.find("\r\n\r\n") + 4), "abcde") << v10;
}

TEST_F(ResponseIntegrityTest, AnHttp10ClientNeverGetsAnInterimResponse) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string v10 = exchange("GET /continue HTTP/1.0\r\nHost: a\r\n\r\n");
  EXPECT_EQ(v10.substr(0, 15), "HTTP/1.1 200 OK") << v10;
  const std::string v11 =
      exchange("GET /continue HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(v11.substr(0, 21), "HTTP/1.1 100 Continue") << v11;
}

TEST_F(ResponseIntegrityTest, A101ToARequestThatAskedForNoUpgradeIs502) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(exchange("GET /switch HTTP/1.1\r\nHost: a\r\n\r\n").substr(0, 12), "HTTP/1.1 502");
}

TEST_F(ResponseIntegrityTest, ADeclinedUpgradeLeavesTheConnectionUsable) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string answer = exchange(
      "GET /decline HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      "GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 426") << answer;
  EXPECT_NE(answer.find("seen GET /after HTTP/1.1"), std::string::npos) << answer;
}

}  // namespace
}  // namespace sluice::test
