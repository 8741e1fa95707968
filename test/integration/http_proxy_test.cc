// The http and https-offload services end to end: the real sluice binary, an HTTP origin on
// 127.0.0.1, and real clients: curl, openssl s_client, and raw sockets for what curl will
// not send.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

class HttpProxyTest : public ::testing::Test {
 protected:
  HttpProxyTest() : origin_(httpOrigin("o1")) {}

  // An https-offload VIP (ECDSA and RSA certificates) and an http VIP, both in front of
  // origin_ (or `servers`), with `offloadExtra` / `plainExtra` added to each VIP.
  std::string config(const std::string& offloadExtra = "", const std::string& plainExtra = "",
                     const std::string& servers = "") {
    static const CertFactory::Issued ec = certs().issue({"shop.example.test"});
    static const CertFactory::Issued rsa = certs().issueRsa({"shop.example.test"});
    return "global: {workers: 1}\n"
           "certificates:\n"
           "  - {name: shop-ec, cert: " +
           ec.cert + ", key: " + ec.key +
           "}\n"
           "  - {name: shop-rsa, cert: " +
           rsa.cert + ", key: " + rsa.key +
           "}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n    timeouts: {connect: 1s, idle: 30s}\n"
           "    servers: " +
           (servers.empty() ? "[{name: o1, address: " + origin_.address() + "}]" : servers) +
           "\n"
           "vips:\n"
           "  - name: shop\n    listen: 127.0.0.1:" +
           std::to_string(tlsPort_) +
           "\n"
           "    service: https-offload\n    certificates: [shop-ec, shop-rsa]\n"
           "    default_group: web\n" +
           offloadExtra + "  - name: plain\n    listen: 127.0.0.1:" + std::to_string(plainPort_) +
           "\n"
           "    service: http\n    default_group: web\n" +
           plainExtra;
  }
  static CertFactory& certs() { return CertFactory::instance(); }

  std::string https(const std::string& path, const std::string& flags = "") {
    const std::string p = std::to_string(tlsPort_);
    std::string out;
    runCommand("curl -sS --max-time 30 --cacert " + certs().caPath() +
                   " --resolve shop.example.test:" + p + ":127.0.0.1 " + flags +
                   " https://shop.example.test:" + p + path,
               out);
    return out;
  }
  std::string http(const std::string& path, const std::string& flags = "") {
    std::string out;
    runCommand("curl -sS --max-time 30 " + flags +
                   " http://127.0.0.1:" + std::to_string(plainPort_) + path,
               out);
    return out;
  }
  // Sends raw bytes to the http VIP; returns all it answers until it closes.
  std::string raw(const std::string& bytes, std::chrono::milliseconds wait = 10s) {
    const int fd = connectLocal(plainPort_);
    writeAll(fd, bytes);
    const std::string answer = readUntilClose(fd, wait);
    ::close(fd);
    return answer;
  }

  uint16_t tlsPort_ = freePort();
  uint16_t plainPort_ = freePort();
  TestOrigin origin_;
};

TEST_F(HttpProxyTest, OriginsSeeForwardedHeadersAndNeverASpoofedOne) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string viaTls =
      https("/echo", "-H 'X-Forwarded-For: 6.6.6.6' -H 'X-Forwarded-Proto: http'");
  EXPECT_NE(viaTls.find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << viaTls;
  EXPECT_NE(viaTls.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << viaTls;
  EXPECT_NE(viaTls.find("X-Forwarded-Port: " + std::to_string(tlsPort_)), std::string::npos);
  EXPECT_EQ(viaTls.find("6.6.6.6"), std::string::npos) << "a spoofed header reached the origin";
  EXPECT_NE(viaTls.find("Host: shop.example.test:" + std::to_string(tlsPort_)), std::string::npos);
  const std::string plain = http("/echo");
  EXPECT_NE(plain.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << plain;
}

TEST_F(HttpProxyTest, TrustedProxiesExtendTheChainAndRfc7239IsOptIn) {
  SluiceProcess sluice(
      config("", "    forwarded_headers: {trusted_proxies: [127.0.0.0/8], rfc7239: true}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string out = http("/echo", "-H 'X-Forwarded-For: 203.0.113.9'");
  EXPECT_NE(out.find("X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Forwarded: for=127.0.0.1;proto=http;host="), std::string::npos) << out;
}

TEST_F(HttpProxyTest, TheClientSeesTheVipsCertificateEcdsaOrRsa) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string out;
  const std::string connect = "openssl s_client -connect 127.0.0.1:" + std::to_string(tlsPort_) +
                              " -servername shop.example.test -CAfile " + certs().caPath();
  runCommand(connect + " < /dev/null", out);
  EXPECT_NE(out.find("subject=CN = shop.example.test"), std::string::npos) << out;
  EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
  EXPECT_NE(out.find("Server public key is 256 bit"), std::string::npos) << "ECDSA by default";
  runCommand(connect + " -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 < /dev/null", out);
  EXPECT_NE(out.find("Server public key is 2048 bit"), std::string::npos) << out;
  // A client that would accept TLS 1.1 (its own security level lowered) gets no session.
  runCommand(connect + " -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' < /dev/null", out);
  EXPECT_NE(out.find("Cipher is (NONE)"), std::string::npos) << "TLS 1.1 must be refused\n" << out;
}

TEST_F(HttpProxyTest, SessionsAreResumed) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string out;
  runCommand("openssl s_client -connect 127.0.0.1:" + std::to_string(tlsPort_) +
                 " -servername shop.example.test -tls1_2 -reconnect -CAfile " + certs().caPath() +
                 " < /dev/null",
             out);
  size_t reused = 0;
  for (size_t at = 0; (at = out.find("\nReused, ", at)) != std::string::npos; ++at)
    ++reused;
  EXPECT_GE(reused, 4u) << out;
}

TEST_F(HttpProxyTest, ResumedTls13ConnectionsGetAFreshTicket) {
  // Browsers use a TLS 1.3 ticket once; each resumption must hand out the next one.
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string dir = testing::TempDir() + "/tickets-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  auto connect = [&](const std::string& in, const std::string& out) {
    std::string text;
    runCommand(
        "printf 'GET / HTTP/1.1\\r\\nHost: shop.example.test\\r\\nConnection: close\\r\\n\\r\\n' | "
        "openssl s_client -connect 127.0.0.1:" +
            std::to_string(tlsPort_) + " -servername shop.example.test -tls1_3 -ign_eof -CAfile " +
            certs().caPath() + (in.empty() ? "" : " -sess_in " + dir + "/" + in) + " -sess_out " +
            dir + "/" + out + " 2>&1",
        text);
    return text;
  };
  EXPECT_NE(connect("", "first").find("New, TLSv1.3"), std::string::npos);
  std::string second = connect("first", "second");
  EXPECT_NE(second.find("Reused, TLSv1.3"), std::string::npos) << second;
  ASSERT_TRUE(std::filesystem::exists(dir + "/second")) << "no ticket on the resumed connection";
  std::string third = connect("second", "third");
  EXPECT_NE(third.find("Reused, TLSv1.3"), std::string::npos) << "the fresh ticket resumes\n"
                                                              << third;
  std::filesystem::remove_all(dir);
}

TEST_F(HttpProxyTest, AClientClosingWithoutCloseNotifyGetsNoAlert) {
  // Most clients end a keep-alive connection with a bare TCP close. That is an end, not an
  // error: no fatal alert (nor close_notify) goes back into the closed connection.
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const int fd = connectLocal(tlsPort_);
  ASSERT_GE(fd, 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "shop.example.test");
  ASSERT_EQ(SSL_connect(ssl), 1);
  const std::string request = "GET / HTTP/1.1\r\nHost: shop.example.test\r\n\r\n";
  ASSERT_EQ(SSL_write(ssl, request.data(), static_cast<int>(request.size())),
            static_cast<int>(request.size()));
  std::string response;
  char buffer[4096];
  while (response.find("hello from o1") == std::string::npos) {
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    ASSERT_GT(n, 0) << response;
    response.append(buffer, static_cast<size_t>(n));
  }
  ::shutdown(fd, SHUT_WR);  // no close_notify first
  bool eof = false;
  const std::string after = readUntilClose(fd, 5s, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(after.size(), 0u) << "Sluice wrote " << after.size() << " bytes after the close";
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
}

TEST_F(HttpProxyTest, KeepAliveReusesOneServerConnection) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string out =
      https("/a", "https://shop.example.test:" + std::to_string(tlsPort_) +
                      "/b https://shop.example.test:" + std::to_string(tlsPort_) + "/c");
  EXPECT_EQ(out, "hello from o1\nhello from o1\nhello from o1\n");
  EXPECT_EQ(origin_.accepted(), 1) << "three requests, one server connection";
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 3; }, 5s));
  std::set<std::string> clients;
  for (const auto& r : sluice.accessLog()) {
    clients.insert(r["client"]);
    EXPECT_EQ(r["status"], 200);
    EXPECT_EQ(r["tls_version"], "TLSv1.3");
    EXPECT_EQ(r["server"], "o1");
  }
  EXPECT_EQ(clients.size(), 1u) << "and one client connection";
}

TEST_F(HttpProxyTest, HundredsOfRequestsOnOneConnection) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // Far more requests than fit in one buffer, so that nothing may accumulate per request.
  const int fd = connectLocal(plainPort_);
  int ok = 0;
  for (int i = 0; i < 500; ++i) {
    writeAll(fd, "GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string response = readUntil(fd, "hello from o1\n", 10s);
    if (response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0) ++ok;
  }
  ::close(fd);
  EXPECT_EQ(ok, 500);
  EXPECT_EQ(origin_.accepted(), 1) << "one server connection for all of them";
}

TEST_F(HttpProxyTest, StreamsLargeBodiesBothWaysIntact) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // 16 MiB: 256 times the server-side buffer and 64 times the bytes one side may queue before
  // the other stops being read (HttpExchange::kMaxPending), so every wait and resume happens
  // many times over; more bytes prove nothing more.
  constexpr size_t kSize = 16u << 20;
  char dirTemplate[] = "/tmp/sluice-body-XXXXXX";
  const std::string dir = ::mkdtemp(dirTemplate);
  // Upload: fixed length, then chunked.
  RunningHash expected;
  {
    std::ofstream file(dir + "/up.bin", std::ios::binary);
    PatternStream pattern(99);
    std::string chunk(1 << 20, '\0');
    for (size_t done = 0; done < kSize; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      expected.add(chunk.data(), chunk.size());
      file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  const std::string want =
      "len=" + std::to_string(kSize) + " hash=" + std::to_string(expected.value());
  EXPECT_EQ(https("/upload", "--data-binary @" + dir + "/up.bin"), want);
  EXPECT_EQ(http("/upload", "-H 'Transfer-Encoding: chunked' --data-binary @" + dir + "/up.bin"),
            want);
  // Download: fixed length, chunked, and delimited by close.
  RunningHash pattern7;
  {
    PatternStream pattern(7);
    std::string chunk(256 * 1024, '\0');
    for (size_t done = 0; done < kSize; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      pattern7.add(chunk.data(), chunk.size());
    }
  }
  for (const std::string path : {"/bytes/", "/chunked/", "/close/"}) {
    https(path + std::to_string(kSize), "-o " + dir + "/down.bin");
    std::ifstream file(dir + "/down.bin", std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(file)), {});
    RunningHash got;
    got.add(data.data(), data.size());
    EXPECT_EQ(data.size(), kSize) << path;
    EXPECT_EQ(got.value(), pattern7.value()) << path;
  }
  std::string ignored;
  runCommand("rm -rf " + dir, ignored);
}

TEST_F(HttpProxyTest, ExpectContinueWaitsForTheServersGoAhead) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const int fd = connectLocal(plainPort_);
  writeAll(fd,
           "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  // The server's interim answer reaches the client before it sends any body byte.
  const std::string interim = readUntil(fd, "\r\n\r\n", 10s);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  writeAll(fd, "hello");
  const std::string response = readUntil(fd, "hash=", 10s);
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("len=5 "), std::string::npos) << response;
  ::close(fd);
}

TEST_F(HttpProxyTest, AnUpgradeSwitchesToAByteRelay) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const int fd = connectLocal(plainPort_);
  writeAll(fd,
           "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  const std::string head = readUntil(fd, "\r\n\r\n", 10s);
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  EXPECT_NE(head.find("Upgrade: websocket"), std::string::npos) << head;
  for (const char* message : {"ping\n", "any bytes at all\n"}) {
    writeAll(fd, message);
    EXPECT_EQ(readLine(fd, 5s), message);
  }
  ::close(fd);
}

TEST_F(HttpProxyTest, RequestSmugglingNeverReachesTheOrigin) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::pair<const char*, const char*> cases[] = {
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       "400 Bad Request"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
       "400 Bad Request"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", "501 Not Implemented"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
       "400 Bad Request"},
      {"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/1.1\nHost: a\n\n", "400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/3.0\r\nHost: a\r\n\r\n", "505 HTTP Version Not Supported"},
  };
  for (const auto& [request, status] : cases) {
    const std::string answer = raw(request);
    EXPECT_EQ(answer.rfind(std::string("HTTP/1.1 ") + status + "\r\n", 0), 0u) << request << "\n"
                                                                               << answer;
  }
  EXPECT_EQ(origin_.accepted(), 0) << "no smuggling attempt reached the origin";
}

TEST_F(HttpProxyTest, LimitsAndTimeoutsAnswerWithTheRightStatus) {
  SluiceProcess sluice(config("",
                              "    limits: {max_header_bytes: 2KiB, max_body: 1KiB}\n"
                              "    timeouts: {client_header: 300ms, server_response: 400ms}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(raw("GET / HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(3000, 'c') + "\r\n\r\n")
                .substr(0, 12),
            "HTTP/1.1 431");
  EXPECT_EQ(raw("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n").substr(0, 12),
            "HTTP/1.1 413");
  EXPECT_EQ(raw("GET / HTTP/1.1\r\nHost: a\r\n").substr(0, 12), "HTTP/1.1 408");
  EXPECT_EQ(raw("GET /slow/2000 HTTP/1.1\r\nHost: a\r\n\r\n").substr(0, 12), "HTTP/1.1 504");
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 4; }, 5s));
  std::multiset<std::string> ends;
  for (const auto& record : sluice.accessLog())
    ends.insert(record["end"]);
  EXPECT_EQ(ends.count("client_header_timeout"), 1u);
  EXPECT_EQ(ends.count("server_response_timeout"), 1u);
}

TEST_F(HttpProxyTest, AnUnreachableServerGives502) {
  const uint16_t dead = freePort();
  SluiceProcess sluice(
      config("", "", "[{name: dead, address: 127.0.0.1:" + std::to_string(dead) + "}]"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string answer = http("/", "-i");
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 502") << answer;
  EXPECT_NE(answer.find("<h1>502 Bad Gateway</h1>"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  EXPECT_EQ(sluice.accessLog()[0]["end"], "connect_failed");
  EXPECT_EQ(sluice.accessLog()[0]["error"], "Connection refused");
}

// A refused connect moves the request, as it is, to the next server: the client never knows.
TEST_F(HttpProxyTest, ARefusedServerIsSkippedForTheNext) {
  const uint16_t dead = freePort();
  SluiceProcess sluice(config("", "",
                              "[{name: dead, address: 127.0.0.1:" + std::to_string(dead) +
                                  "}, {name: o1, address: " + origin_.address() + "}]"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(http("/"), "hello from o1\n");
    EXPECT_EQ(http("/upload", "--data-binary 'abc'").substr(0, 6), "len=3 ");
  }
}

TEST_F(HttpProxyTest, RedirectHttpsAndHsts) {
  SluiceProcess sluice(config("    hsts: {max_age: 31536000, include_subdomains: true}\n",
                              "    redirect_https: {port: 8443, status: 308}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string redirect = http("/cart?x=1", "-i -H 'Host: shop.example.test:80'");
  EXPECT_EQ(redirect.substr(0, 12), "HTTP/1.1 308") << redirect;
  EXPECT_NE(redirect.find("Location: https://shop.example.test:8443/cart?x=1\r\n"),
            std::string::npos)
      << redirect;
  EXPECT_EQ(origin_.accepted(), 0);
  for (const char* version : {"--http1.1", "--http2"}) {
    std::string secure = https("/", std::string("-i ") + version);
    for (char& c : secure)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(secure.find("strict-transport-security: max-age=31536000; includesubdomains\r\n"),
              std::string::npos)
        << version << "\n"
        << secure;
  }
}

}  // namespace
}  // namespace sluice::test
