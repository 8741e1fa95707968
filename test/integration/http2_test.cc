// HTTP/2 at the front, end to end: curl --http2, nghttp and h2load through an offload and a
// bridge VIP to HTTP/1.1 origins, large transfers checked by hash, a slow reader's cost, the
// limits, and every attack class of test/h2/h2_attack.py ending in GOAWAY ENHANCE_YOUR_CALM
// while another client is still served.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

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

#if defined(__SANITIZE_ADDRESS__)
constexpr double kServedWithinMs = 250;  // the sanitizer build is several times slower
// ASan holds freed memory in quarantine (256 MiB by default): growth says less there, but a
// held download would still show as hundreds of MiB.
constexpr long kSlowReaderGrowthKiB = 128 * 1024;
#else
constexpr double kServedWithinMs = 50;
constexpr long kSlowReaderGrowthKiB = 32 * 1024;  // typically 0.2 MiB; allocator noise aside
#endif

class Http2Test : public ::testing::Test {
 protected:
  Http2Test()
      : origin_(httpOrigin("o1")), tlsOrigin_(tlsWrapped(httpOrigin("app"), appCert(), stats_)) {}

  static CertFactory& certs() { return CertFactory::instance(); }
  static const CertFactory::Issued& appCert() {
    static const CertFactory::Issued cert = certs().issue({"app.internal.test"});
    return cert;
  }

  // An offload VIP (shop) and a bridge VIP (secure), `extra` added to each.
  std::string config(const std::string& extra = "") {
    static const CertFactory::Issued shop = certs().issue({"shop.example.test"});
    return withAdmin(
        "global: {workers: 1}\n"
        "certificates:\n  - {name: shop, cert: " +
            shop.cert + ", key: " + shop.key +
            "}\n"
            "server_groups:\n"
            "  - name: web\n    protocol: http\n"
            "    servers: [{name: o1, address: " +
            origin_.address() +
            "}]\n"
            "  - name: app\n    protocol: https\n    tls: {ca: " +
            certs().caPath() +
            ", sni: app.internal.test}\n"
            "    servers: [{name: app, address: " +
            tlsOrigin_.address() +
            "}]\n"
            "vips:\n"
            "  - name: shop\n    listen: 127.0.0.1:" +
            std::to_string(offload_) +
            "\n    service: https-offload\n    certificates: [shop]\n    default_group: web\n" +
            extra + "  - name: secure\n    listen: 127.0.0.1:" + std::to_string(bridge_) +
            "\n    service: https-bridge\n    certificates: [shop]\n    default_group: app\n" +
            extra,
        admin_);
  }
  std::string url(uint16_t port, const std::string& path) const {
    return "https://shop.example.test:" + std::to_string(port) + path;
  }
  std::string resolve(uint16_t port) const {
    return " --cacert " + certs().caPath() +
           " --resolve shop.example.test:" + std::to_string(port) + ":127.0.0.1 ";
  }
  std::string curl(uint16_t port, const std::string& path, const std::string& flags) {
    std::string out;
    runCommand("curl -sS --max-time 60 " + flags + resolve(port) + "'" + url(port, path) + "'",
               out);
    return out;
  }
  double metric(const std::string& prefix) { return metricSum(scrapeMetrics(admin_), prefix); }

  // An http VIP with h2c on `port` in front of origin_, then `moreVips`.
  std::string h2cConfig(uint16_t port, const std::string& moreVips = "") const {
    return "global: {workers: 1}\n"
           "server_groups:\n  - {name: web, protocol: http, servers: [{name: o1, address: " +
           origin_.address() +
           "}]}\n"
           "vips:\n"
           "  - {name: h2c, listen: 127.0.0.1:" +
           std::to_string(port) + ", service: http, default_group: web, http2: {h2c: true}}\n" +
           moreVips;
  }

  TestOrigin origin_;
  std::shared_ptr<TlsOriginStats> stats_ = std::make_shared<TlsOriginStats>();
  TestOrigin tlsOrigin_;
  uint16_t offload_ = freePort();
  uint16_t bridge_ = freePort();
  uint16_t admin_ = freePort();
};

TEST_F(Http2Test, OffloadAndBridgeSpeakHttp2AndHttp1OnOneVip) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (uint16_t port : {offload_, bridge_}) {
    const std::string h2 = curl(port, "/echo", "-i --http2 -H 'X-Forwarded-Proto: http'");
    EXPECT_EQ(h2.rfind("HTTP/2 200", 0), 0u) << h2;
    EXPECT_NE(h2.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << h2;
    EXPECT_EQ(h2.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << "spoofed";
    EXPECT_NE(h2.find("Host: shop.example.test:" + std::to_string(port)), std::string::npos);
    EXPECT_NE(h2.find("GET /echo HTTP/1.1"), std::string::npos) << "HTTP/1.1 to the origin";
    const std::string h1 = curl(port, "/echo", "-i --http1.1");
    EXPECT_EQ(h1.rfind("HTTP/1.1 200", 0), 0u) << h1;
  }
  // Cookie crumbs reach an HTTP/1.1 origin as one Cookie field (RFC 9113 §8.2.3).
  const std::string cookies = curl(offload_, "/echo", "--http2 -H 'Cookie: a=1' -H 'Cookie: b=2'");
  EXPECT_NE(cookies.find("cookie: a=1; b=2\r\n"), std::string::npos) << cookies;
  EXPECT_EQ(metric("sluice_http2_connections_total{vip=\"shop\""), 2);
  EXPECT_EQ(metric("sluice_http2_connections_total{vip=\"secure\""), 1);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() >= 5; }, 5s));
  int h2Lines = 0;
  for (const auto& line : sluice.accessLog())
    h2Lines += line.value("protocol", "") == "HTTP/2";
  EXPECT_EQ(h2Lines, 3);
}

TEST_F(Http2Test, AHundredStreamsAtOnceOnOneConnection) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (uint16_t port : {offload_, bridge_}) {
    std::string out;
    runCommand("h2load -n 2000 -c 1 -m 100 --connect-to=127.0.0.1:" + std::to_string(port) + " " +
                   url(port, "/"),
               out);
    EXPECT_NE(out.find("2000 succeeded, 0 failed, 0 errored"), std::string::npos) << out;
    EXPECT_NE(out.find("status codes: 2000 2xx"), std::string::npos) << out;
  }
  // Many connections at once, as a benchmark loads it: streams end while other events of the
  // same loop pass still name their server sockets.
  std::string many;
  runCommand("h2load -n 6000 -c 32 -m 10 --connect-to=127.0.0.1:" + std::to_string(offload_) + " " +
                 url(offload_, "/"),
             many);
  EXPECT_NE(many.find("6000 succeeded, 0 failed, 0 errored"), std::string::npos) << many;
  // nghttp: 100 concurrent requests on one connection, each answered whole.
  std::string out;
  runCommand("nghttp -ns -m 100 --no-verify-peer https://127.0.0.1:" + std::to_string(offload_) +
                 "/bytes/10000" + " | grep -c ' 200 '",
             out);
  EXPECT_EQ(std::stoi(out), 100) << out;
}

TEST_F(Http2Test, LargeUploadsAndDownloadsArriveWhole) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // 16 MiB: far past every window and buffer on the way (see StreamsLargeBodiesBothWaysIntact).
  constexpr size_t kSize = 16 * 1024 * 1024;
  const std::string dir =
      std::filesystem::temp_directory_path() / ("sluice-h2-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  // Download: the origin's pattern, checked byte for byte through its hash.
  RunningHash expected;
  {
    PatternStream pattern(7);
    std::string chunk(1 << 20, '\0');
    for (size_t done = 0; done < kSize; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      expected.add(chunk.data(), chunk.size());
    }
  }
  for (uint16_t port : {offload_, bridge_}) {
    const std::string file = dir + "/download";
    curl(port, "/bytes/" + std::to_string(kSize), "--http2 -o " + file);
    std::ifstream in(file, std::ios::binary);
    RunningHash got;
    std::string chunk(1 << 20, '\0');
    size_t total = 0;
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
      got.add(chunk.data(), static_cast<size_t>(in.gcount()));
      total += static_cast<size_t>(in.gcount());
    }
    EXPECT_EQ(total, kSize);
    EXPECT_EQ(got.value(), expected.value()) << "port " << port;
  }
  // Upload: with a length, and without one (chunked to the origin).
  const std::string file = dir + "/upload";
  RunningHash sent;
  {
    std::ofstream out(file, std::ios::binary);
    PatternStream pattern(11);
    std::string chunk(1 << 20, '\0');
    for (size_t done = 0; done < kSize; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      sent.add(chunk.data(), chunk.size());
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  const std::string answer =
      "len=" + std::to_string(kSize) + " hash=" + std::to_string(sent.value());
  EXPECT_EQ(curl(offload_, "/upload", "--http2 --data-binary @" + file), answer);
  EXPECT_EQ(curl(bridge_, "/upload", "--http2 -T " + file + " -X POST"), answer);
  EXPECT_EQ(
      curl(offload_, "/upload", "--http2 -H 'Transfer-Encoding: chunked' --data-binary @" + file),
      answer);
  std::filesystem::remove_all(dir);
}

// A reader that takes 2 MB/s of a 1 GiB download: Sluice holds its windows' worth, not the
// file. The origin sends as fast as Sluice reads (GB/s here): had Sluice buffered it, its
// memory would grow by hundreds of MiB in these 4 seconds.
TEST_F(Http2Test, ASlowReaderCostsOnlyTheWindows) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  auto rssKiB = [&] {
    std::ifstream status("/proc/" + std::to_string(sluice.pid()) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0L;
  };
  curl(offload_, "/", "--http2");  // warm: the worker's pools exist
  const long before = rssKiB();
  std::string out;
  runCommand("timeout 4 curl -sS --http2 --limit-rate 2M -o /dev/null" + resolve(offload_) +
                 url(offload_, "/bytes/1073741824") + " ; true",
             out);
  const long after = rssKiB();
  EXPECT_LT(after - before, kSlowReaderGrowthKiB) << "KiB grown while the slow reader was served";
  // The connection was cut by the client, not finished: the origin is not still sending.
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& line : sluice.accessLog()) {
          if (line.value("path", "") == "/bytes/1073741824") return true;
        }
        return false;
      },
      5s));
}

TEST_F(Http2Test, AStopLetsRequestsInFlightFinishAndTellsClientsToGo) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string h2, h1;
  std::thread h2Client([&] {
    runCommand("nghttp -v --no-verify-peer --timeout=20 https://127.0.0.1:" +
                   std::to_string(offload_) + "/slow/1500 2>&1",
               h2);
  });
  std::thread h1Client([&] { h1 = curl(offload_, "/slow/1500", "-i --http1.1 --max-time 20"); });
  std::this_thread::sleep_for(500ms);  // both requests are in flight
  sluice.signal(SIGTERM);
  h2Client.join();
  h1Client.join();
  EXPECT_EQ(sluice.waitExit(), 0);
  // Each got its whole response; the HTTP/2 client was told to go (GOAWAY NO_ERROR) and the
  // HTTP/1.1 one that the connection ends.
  EXPECT_NE(h2.find(":status: 200"), std::string::npos) << h2;
  EXPECT_NE(h2.find("recv GOAWAY"), std::string::npos) << h2;
  EXPECT_NE(h2.find("error_code=NO_ERROR"), std::string::npos) << h2;
  EXPECT_EQ(h1.rfind("HTTP/1.1 200", 0), 0u) << h1;
  EXPECT_NE(h1.find("Connection: close\r\n"), std::string::npos) << h1;
  EXPECT_NE(h1.find("slow"), std::string::npos) << h1;
}

TEST_F(Http2Test, TheLimitsAnswer431And413PerStream) {
  SluiceProcess sluice(
      config("    http2: {max_header_list: 4096}\n    limits: {max_body: 1000}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string big(6000, 'x');
  std::string out = curl(offload_, "/", "-i --http2 -H 'X-Big: " + big + "'");
  EXPECT_EQ(out.rfind("HTTP/2 431", 0), 0u) << out.substr(0, 200);
  out = curl(offload_, "/upload",
             "-i --http2 -H 'Content-Length: 5000' --data-binary " + std::string(5000, 'y'));
  EXPECT_EQ(out.rfind("HTTP/2 413", 0), 0u) << out.substr(0, 200);
  // The connection stays usable for the next request.
  EXPECT_EQ(curl(offload_, "/", "-s -o /dev/null -w '%{http_code}' --http2"), "200");
}

// Browsers send every host a connection's certificate covers over that connection. A host the
// VIP serves with another certificate gets 421, so the browser opens a connection of its own;
// a host of the same certificate is served as usual.
TEST_F(Http2Test, AHostOfAnotherCertificateIsMisdirected) {
  const CertFactory::Issued shop = certs().issue({"shop.example.test", "www.example.test"});
  const CertFactory::Issued api = certs().issue({"api.example.test"});
  SluiceProcess sluice(
      "global: {workers: 1}\n"
      "certificates:\n  - {name: shop, cert: " +
      shop.cert + ", key: " + shop.key + "}\n  - {name: api, cert: " + api.cert +
      ", key: " + api.key +
      "}\n"
      "server_groups:\n  - {name: web, protocol: http, servers: [{name: o1, address: " +
      origin_.address() +
      "}]}\n"
      "vips:\n"
      "  - {name: shop, listen: 127.0.0.1:" +
      std::to_string(offload_) +
      ", service: https-offload, certificates: [shop, api], default_group: web}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  auto status = [&](const std::string& host, const std::string& version) {
    return curl(offload_, "/",
                "-s -o /dev/null -w '%{http_code}' " + version + " -H 'Host: " + host + ":" +
                    std::to_string(offload_) + "'");
  };
  EXPECT_EQ(status("api.example.test", "--http2"), "421");
  EXPECT_EQ(status("www.example.test", "--http2"), "200") << "the same certificate: coalesced";
  EXPECT_EQ(status("shop.example.test", "--http2"), "200");
  EXPECT_EQ(status("api.example.test", "--http1.1"), "200") << "HTTP/1.1 does not coalesce";
  // One connection that names one host, then another, then the first again: each request gets
  // the verdict of its own host (the connection remembers only the last one it checked).
  std::string out;
  EXPECT_EQ(runCommand("timeout 30 /usr/bin/python3 " + std::string(SLUICE_PROJECT_DIR) +
                           "/test/h2/authorities_check.py " + std::to_string(offload_) + " " +
                           certs().caPath() +
                           " shop.example.test www.example.test api.example.test"
                           " api.example.test www.example.test shop.example.test api.example.test",
                       out),
            0)
      << out;
  EXPECT_EQ(out.substr(0, out.find('\n')), "[200, 421, 421, 200, 200, 421]");
}

TEST_F(Http2Test, H2cWithPriorKnowledgeOnAnHttpVip) {
  const uint16_t plain = freePort(), off = freePort();
  SluiceProcess sluice(h2cConfig(plain, "  - {name: h1, listen: 127.0.0.1:" + std::to_string(off) +
                                            ", service: http, default_group: web}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string out;
  runCommand(
      "curl -sS -i --http2-prior-knowledge http://127.0.0.1:" + std::to_string(plain) + "/echo",
      out);
  EXPECT_EQ(out.rfind("HTTP/2 200", 0), 0u) << out;
  EXPECT_NE(out.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << out;
  runCommand("curl -sS -i http://127.0.0.1:" + std::to_string(plain) + "/", out);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << "HTTP/1.1 still served: " << out;
  // Without h2c the preface is not HTTP/1.1: refused, never taken for a request.
  runCommand("curl -sS -i --http2-prior-knowledge http://127.0.0.1:" + std::to_string(off) + "/",
             out);
  EXPECT_EQ(out.find("HTTP/2 200"), std::string::npos) << out;
}

// An HTTP/2 :path is bytes: one that is not visible ASCII (found by the http2_session fuzzer:
// "/\xee0a") is 400, never a request line an HTTP/1.1 server could read another way.
TEST_F(Http2Test, APathOfBytesAnHttp1ServerCouldMisreadIs400) {
  const uint16_t plain = freePort();
  SluiceProcess sluice(h2cConfig(plain));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string script = std::string(SLUICE_PROJECT_DIR) + "/test/h2/raw_path_check.py ";
  const int before = origin_.accepted();
  // Bytes above 0x7F: 400 from Sluice.
  for (const char* hex : {"2fee3061", "2f80", "2f61c3a9"}) {
    std::string out;
    runCommand("/usr/bin/python3 " + script + std::to_string(plain) + " " + hex, out);
    EXPECT_EQ(out, "400\n") << hex;
  }
  // Control bytes, space and DEL: the stream is reset by nghttp2 (RFC 9113 §8.2.1) or 400.
  for (const char* hex : {"2f6100", "2f610d0a", "2f6120", "2f617f", "2f61092f"}) {
    std::string out;
    runCommand("/usr/bin/python3 " + script + std::to_string(plain) + " " + hex, out);
    EXPECT_TRUE(out == "reset\n" || out == "400\n") << hex << ": " << out;
  }
  EXPECT_EQ(origin_.accepted(), before) << "nothing reached the server";
  std::string out;
  runCommand("/usr/bin/python3 " + script + std::to_string(plain) + " 2f6563686f", out);
  EXPECT_EQ(out, "200\n") << "/echo still goes";
}

class Http2AttackTest : public Http2Test, public ::testing::WithParamInterface<const char*> {};

TEST_P(Http2AttackTest, EndsInGoawayEnhanceYourCalmWhileOthersAreServed) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string out;
  const int status = runCommand(std::string("/usr/bin/python3 ") + SLUICE_PROJECT_DIR +
                                    "/test/h2/h2_attack.py " + std::to_string(offload_) + " " +
                                    certs().caPath() + " shop.example.test " + GetParam(),
                                out);
  ASSERT_EQ(status, 0) << out;
  const nlohmann::json result = nlohmann::json::parse(out.substr(out.rfind('{')));
  EXPECT_EQ(result["goaway"], 11) << "ENHANCE_YOUR_CALM expected: " << out;
  EXPECT_GT(result["other_ok"].get<int>(), 0) << out;
  EXPECT_TRUE(result["other_errors"].empty()) << out;
  EXPECT_LT(result["other_max_ms"].get<double>(), kServedWithinMs) << out;
  EXPECT_EQ(metric("sluice_http2_calm_total{vip=\"shop\""), 1);
  // The worker is still there for everyone.
  EXPECT_EQ(curl(offload_, "/", "-s -o /dev/null -w '%{http_code}' --http2"), "200");
}

INSTANTIATE_TEST_SUITE_P(EveryClass, Http2AttackTest,
                         ::testing::Values("rapid_reset", "made_you_reset", "continuation_flood",
                                           "hpack_bomb", "settings_flood", "ping_flood",
                                           "priority_flood", "window_update_flood",
                                           "empty_data_flood"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace sluice::test
