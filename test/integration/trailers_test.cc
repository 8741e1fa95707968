// Trailers pass both ways whatever each side speaks: an HTTP/2 client's and a chunked HTTP/1.1
// client's reach HTTP/1.1 servers (after the last chunk) and HTTP/2 servers (as trailers), and a
// server's reach both kinds of client. Fields no proxy may take from a trailer (forwarding
// claims, credentials, framing) never pass, and trailers are bounded like a head. The HTTP/2
// ends are Python's h2 (test/h2/trailers_check.py); the HTTP/1.1 server records every byte.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/net_helpers.h"
#include "support/recording_origin.h"
#include "support/script_server.h"
#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Fields = std::vector<std::pair<std::string, std::string>>;

const std::string kTrailersCheck = std::string(SLUICE_PROJECT_DIR) + "/test/h2/trailers_check.py";

std::string sha256Hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back("0123456789abcdef"[digest[i] >> 4]);
    hex.push_back("0123456789abcdef"[digest[i] & 15]);
  }
  return hex;
}

// One POST of `size` bytes with trailers from an HTTP/2 client (trailers_check.py call); `ca`
// "-" for h2c. `fillers`: that many trailer fields of 100 bytes instead of the usual ones.
nlohmann::json callWithTrailers(uint16_t port, const std::string& ca, const std::string& host,
                                size_t size, int fillers = 0) {
  std::string out;
  const int status = runCommand("timeout 60 /usr/bin/python3 " + kTrailersCheck + " call " +
                                    std::to_string(port) + " " + ca + " " + host + " /upload " +
                                    std::to_string(size) + " " + std::to_string(fillers),
                                out);
  EXPECT_EQ(status, 0) << out;
  if (status != 0) return nlohmann::json::object();
  // The last line is the JSON object.
  const size_t end = out.find_last_not_of('\n');
  const size_t at = end == std::string::npos ? 0 : out.rfind('\n', end) + 1;
  return nlohmann::json::parse(out.substr(at));
}

Fields fieldsOf(const nlohmann::json& list) {
  Fields fields;
  for (const nlohmann::json& pair : list)
    fields.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  return fields;
}

class TrailersTest : public ::testing::Test {
 protected:
  static CertFactory& certs() { return CertFactory::instance(); }

  // An offload VIP (h2 and http/1.1) and an h2c-capable http VIP, both in front of `server`
  // (`http2`: spoken to it over HTTP/2 prior knowledge).
  std::string config(const std::string& server, bool http2) const {
    static const CertFactory::Issued front = certs().issue({"api.example.test"});
    return "global: {workers: 1}\n"
           "certificates:\n  - {name: api, cert: " +
           front.cert + ", key: " + front.key +
           "}\n"
           "server_groups:\n"
           "  - name: app\n    protocol: http\n" +
           (http2 ? "    http2: true\n" : "") + "    servers: [{name: s1, address: " + server +
           "}]\n"
           "vips:\n"
           "  - name: tls\n    listen: 127.0.0.1:" +
           std::to_string(tls_) +
           "\n    service: https-offload\n    certificates: [api]\n    default_group: app\n"
           "  - name: plain\n    listen: 127.0.0.1:" +
           std::to_string(plain_) +
           "\n    service: http\n    http2: {h2c: true}\n    default_group: app\n";
  }

  uint16_t tls_ = freePort();
  uint16_t plain_ = freePort();
};

// The fields trailers_check.py sends besides its x-sha256, none of which may pass.
void expectOnlyTheChecksum(const Fields& trailers, const std::string& sha) {
  EXPECT_EQ(trailers, (Fields{{"x-sha256", sha}}));
}

TEST_F(TrailersTest, AnHttp2ClientsTrailersReachAnHttp11ServerAfterTheLastChunk) {
  RecordingOrigin origin;
  SluiceProcess sluice(config(origin.address(), false));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const nlohmann::json result =
      callWithTrailers(tls_, certs().caPath(), "api.example.test", 100000);
  EXPECT_EQ(result.value("status", 0), 200) << result.dump();
  const std::vector<ReceivedRequest> requests = origin.requests();
  ASSERT_EQ(requests.size(), 1u) << origin.unparsed();
  const ReceivedRequest& request = requests[0];
  EXPECT_EQ(request.field("transfer-encoding"), "chunked") << request.raw.substr(0, 400);
  EXPECT_EQ(request.body.size(), 100000u);
  expectOnlyTheChecksum(request.trailers, sha256Hex(request.body));
  EXPECT_EQ(request.field("x-forwarded-for"), "127.0.0.1") << "the head's, not the trailer's";
}

TEST_F(TrailersTest, AnHttp2ServerGetsTheTrailersOfHttp2AndChunkedHttp11Clients) {
  ScriptServer server(kTrailersCheck, freePort());
  ASSERT_TRUE(server.ready());
  SluiceProcess sluice(config(server.address(), true));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  // HTTP/2 both ways: the request's trailers reach the server, the server's reach the client.
  for (uint16_t port : {tls_, plain_}) {
    const std::string ca = port == tls_ ? certs().caPath() : "-";
    const nlohmann::json result = callWithTrailers(port, ca, "api.example.test", 300000);
    ASSERT_EQ(result.value("status", 0), 200) << result.dump();
    const nlohmann::json seen = nlohmann::json::parse(result.value("body", "{}"));
    EXPECT_EQ(seen.value("length", 0), 300000);
    const std::string sha = seen.value("sha256", "");
    expectOnlyTheChecksum(fieldsOf(seen["trailers"]), sha);
    EXPECT_EQ(fieldsOf(result["trailers"]), (Fields{{"x-served-sha256", sha}})) << result.dump();
  }

  // A chunked HTTP/1.1 request with trailers: the server gets those it may see, and the HTTP/1.1
  // client gets the server's trailers after the last chunk of its response.
  const std::string response =
      exchangeOnce(plain_,
                   "POST /upload HTTP/1.1\r\nHost: api.example.test\r\n"
                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   "5\r\nhello\r\n6\r\n world\r\n0\r\n"
                   "X-Sum: 42\r\nCookie: stolen=1\r\n"
                   "X-Forwarded-For: 6.6.6.6\r\n\r\n",
                   5s);
  ASSERT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  const size_t bodyAt = response.find("{\"fields\"");
  ASSERT_NE(bodyAt, std::string::npos) << response;
  const nlohmann::json seen =
      nlohmann::json::parse(response.substr(bodyAt, response.find("\r\n", bodyAt) - bodyAt));
  EXPECT_EQ(seen.value("length", 0), 11);
  EXPECT_EQ(fieldsOf(seen["trailers"]), (Fields{{"x-sum", "42"}})) << seen.dump();
  EXPECT_NE(response.find("\r\n0\r\nx-served-sha256: " + sha256Hex("hello world") + "\r\n\r\n"),
            std::string::npos)
      << response;
}

TEST_F(TrailersTest, AnHttp11ServersChunkedTrailersReachAnHttp2Client) {
  RecordingOrigin origin([](const ReceivedRequest&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\ndone\r\n0\r\nX-Origin-Sum: 7\r\nSet-Cookie: session=stolen\r\n"
        "Content-Length: 99\r\n\r\n");
  });
  SluiceProcess sluice(config(origin.address(), false));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (uint16_t port : {tls_, plain_}) {
    const std::string ca = port == tls_ ? certs().caPath() : "-";
    const nlohmann::json result = callWithTrailers(port, ca, "api.example.test", 10);
    EXPECT_EQ(result.value("status", 0), 200) << result.dump();
    EXPECT_EQ(result.value("body", ""), "done");
    EXPECT_EQ(fieldsOf(result["trailers"]), (Fields{{"x-origin-sum", "7"}})) << result.dump();
  }
}

TEST_F(TrailersTest, TrailersPastTheHeadLimitsAre431AndTheNextRequestIsServed) {
  RecordingOrigin origin;
  SluiceProcess sluice(config(origin.address(), false));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // 200 fields: past limits.max_headers (100 by default).
  const nlohmann::json refused =
      callWithTrailers(tls_, certs().caPath(), "api.example.test", 1000, 200);
  EXPECT_EQ(refused.value("status", 0), 431) << refused.dump();
  EXPECT_TRUE(origin.requests().empty()) << "the server never got a whole request";
  const nlohmann::json next = callWithTrailers(tls_, certs().caPath(), "api.example.test", 1000);
  EXPECT_EQ(next.value("status", 0), 200) << next.dump();
}

}  // namespace
}  // namespace sluice::test
