// HTTP/2 to the servers (server_groups[].http2): gRPC calls of every kind through Sluice, with
// Debian's python3-grpcio at both ends (test/h2/grpc_check.py), over h2c and over TLS both ways;
// trailers reaching HTTP/2 and HTTP/1.1 clients; many streams sharing a server connection.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/http_origin.h"
#include "support/metrics_scrape.h"
#include "support/net_helpers.h"
#include "support/script_server.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"
#include "tls/certificate_factory.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

const std::string kGrpcCheck = std::string(SLUICE_PROJECT_DIR) + "/test/h2/grpc_check.py";

// A gRPC server (grpc_check.py serve) on 127.0.0.1:port, over TLS with `cert` and `key` when
// given; `environment` as grpc_check.py reads it.
class GrpcServer : public ScriptServer {
 public:
  explicit GrpcServer(uint16_t port, const std::string& cert = "", const std::string& key = "",
                      const std::vector<std::string>& environment = {})
      : ScriptServer(kGrpcCheck, port,
                     cert.empty() ? std::vector<std::string>{} : std::vector{cert, key},
                     environment) {}
};

// Runs every kind of call (grpc_check.py call) and returns what came back.
nlohmann::json callGrpc(const std::string& args) {
  std::string out;
  const int status =
      runCommand("timeout 120 /usr/bin/python3 " + kGrpcCheck + " call " + args, out);
  EXPECT_EQ(status, 0) << out;
  // The last line is the JSON object.
  const size_t end = out.find_last_not_of('\n');
  const size_t at = end == std::string::npos ? 0 : out.rfind('\n', end) + 1;
  if (status != 0) return nlohmann::json::object();
  return nlohmann::json::parse(out.substr(at));
}

void expectEveryCallWorked(const nlohmann::json& result) {
  EXPECT_EQ(result.value("unary", ""), "echo:hello|xff=127.0.0.1") << result.dump();
  // A status other than OK travels in trailers (here a trailers-only answer): it arrives.
  EXPECT_EQ(result["fail"], (nlohmann::json{{"code", "NOT_FOUND"}, {"details", "no such thing"}}))
      << result.dump();
  EXPECT_EQ(result["server_stream"],
            (nlohmann::json{{"count", 500}, {"first", "0"}, {"last", "499"}}));
  EXPECT_EQ(result.value("client_stream", ""), "8388608") << "8 MiB uploaded in a stream";
  EXPECT_EQ(result["bidi"], (nlohmann::json{"cba", "olleh", "zyx"}));
  EXPECT_EQ(result.value("concurrent", 0), 50);
}

class Http2UpstreamTest : public ::testing::Test {
 protected:
  static CertFactory& certs() { return CertFactory::instance(); }
  double metric(const std::string& prefix) { return metricSum(scrapeMetrics(admin_), prefix); }
  // An http VIP (with h2c when `h2c`) in front of one gRPC server over HTTP/2 prior knowledge.
  std::string plainConfig(const std::string& server, uint16_t vip, bool h2c) const {
    return withAdmin(
        "global: {workers: 1}\n"
        "server_groups:\n"
        "  - name: grpc\n    protocol: http\n    http2: true\n"
        "    servers: [{name: g1, address: " +
            server + "}]\nvips:\n  - name: api\n    listen: 127.0.0.1:" + std::to_string(vip) +
            "\n    service: http\n" + (h2c ? "    http2: {h2c: true}\n" : "") +
            "    default_group: grpc\n",
        admin_);
  }

  uint16_t admin_ = freePort();
};

TEST_F(Http2UpstreamTest, GrpcCallsOfEveryKindPassAnH2cVipToAPriorKnowledgeServer) {
  GrpcServer server(freePort());
  ASSERT_TRUE(server.ready());
  const uint16_t vip = freePort();
  SluiceProcess sluice(plainConfig(server.address(), vip, true));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  expectEveryCallWorked(callGrpc("127.0.0.1:" + std::to_string(vip)));
  if (HasFailure()) ADD_FAILURE() << "access log:\n" << sluice.stdoutText();
  // The calls, 50 of them at once among them, shared one connection to the server.
  EXPECT_EQ(metric("sluice_server_connections_total{group=\"grpc\""), 1);
  bool logged = false;
  for (const nlohmann::json& line : sluice.accessLog()) {
    if (line.value("path", "") == "/sluice.test.Echo/Unary" && line.value("status", 0) == 200) {
      logged = line.value("protocol", "") == "HTTP/2" && line.value("server", "") == "g1";
      break;
    }
  }
  EXPECT_TRUE(logged) << "the call's access-log record";
}

TEST_F(Http2UpstreamTest, GrpcCallsPassAnOffloadVipToATlsServerWhoseCertificateIsVerified) {
  static const CertFactory::Issued front = certs().issue({"api.example.test"});
  static const CertFactory::Issued back = certs().issue({"grpc.internal.test"});
  GrpcServer server(freePort(), back.cert, back.key);
  ASSERT_TRUE(server.ready());
  const uint16_t vip = freePort();
  const std::string yaml = withAdmin(
      "global: {workers: 1}\n"
      "certificates:\n  - {name: api, cert: " +
          front.cert + ", key: " + front.key +
          "}\n"
          "server_groups:\n"
          "  - name: grpc\n    protocol: https\n    http2: true\n"
          "    tls: {ca: " +
          certs().caPath() +
          ", sni: grpc.internal.test}\n"
          "    servers: [{name: g1, address: " +
          server.address() +
          "}]\n"
          "vips:\n"
          "  - name: api\n    listen: 127.0.0.1:" +
          std::to_string(vip) +
          "\n    service: https-bridge\n    certificates: [api]\n    default_group: grpc\n",
      admin_);
  SluiceProcess sluice(yaml);
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  expectEveryCallWorked(
      callGrpc("127.0.0.1:" + std::to_string(vip) + " " + certs().caPath() + " api.example.test"));
  EXPECT_EQ(metric("sluice_server_connections_total{group=\"grpc\""), 1);
  EXPECT_EQ(metric("sluice_server_connect_failures_total{group=\"grpc\""), 0)
      << sluice.stdoutText() << sluice.stderrText();
}

TEST_F(Http2UpstreamTest, AServerThatDoesNotChooseH2IsAConnectFailureNamedInTheLog) {
  // An HTTP/1.1-only TLS server behind a group that says http2: true.
  static const CertFactory::Issued front = certs().issue({"api.example.test"});
  static const CertFactory::Issued back = certs().issue({"grpc.internal.test"});
  std::shared_ptr<TlsOriginStats> stats = std::make_shared<TlsOriginStats>();
  TestOrigin origin(tlsWrapped(httpOrigin("h1"), back, stats));
  const uint16_t vip = freePort();
  SluiceProcess sluice(withAdmin(
      "global: {workers: 1}\n"
      "certificates:\n  - {name: api, cert: " +
          front.cert + ", key: " + front.key +
          "}\n"
          "server_groups:\n"
          "  - name: grpc\n    protocol: https\n    http2: true\n    retries: 0\n"
          "    tls: {ca: " +
          certs().caPath() +
          ", sni: grpc.internal.test}\n"
          "    servers: [{name: g1, address: " +
          origin.address() +
          "}]\n"
          "vips:\n"
          "  - name: api\n    listen: 127.0.0.1:" +
          std::to_string(vip) +
          "\n    service: https-bridge\n    certificates: [api]\n    default_group: grpc\n",
      admin_));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string out;
  runCommand("curl -sS -o /dev/null -w '%{http_code}' --cacert " + certs().caPath() +
                 " --resolve api.example.test:" + std::to_string(vip) +
                 ":127.0.0.1 https://api.example.test:" + std::to_string(vip) + "/",
             out);
  EXPECT_EQ(out, "502");
  bool named = false;
  for (const nlohmann::json& line : sluice.accessLog()) {
    named = named || line.value("error", "").find("did not choose h2") != std::string::npos;
  }
  EXPECT_TRUE(named) << "the access log says why";
}

TEST_F(Http2UpstreamTest, AnHttp11ClientGetsAnHttp2ServersTrailersInItsChunkedBody) {
  GrpcServer server(freePort());
  ASSERT_TRUE(server.ready());
  const uint16_t vip = freePort();
  SluiceProcess sluice(plainConfig(server.address(), vip, false));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // One gRPC message by hand (flag 0, length 5, "hello"), over HTTP/1.1 with a length.
  const std::string message("\0\0\0\0\5hello", 10);
  const std::string request =
      "POST /sluice.test.Echo/Unary HTTP/1.1\r\nHost: api\r\n"
      "Content-Type: application/grpc\r\nTE: trailers\r\n"
      "Content-Length: 10\r\nConnection: close\r\n\r\n" +
      message;
  const std::string response = exchangeOnce(vip, request, 5s);
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("echo:hello|xff=127.0.0.1"), std::string::npos) << response;
  // The body ends with the last chunk and the server's trailers.
  EXPECT_NE(response.find("\r\n0\r\ngrpc-status: 0\r\n"), std::string::npos) << response;
}

TEST_F(Http2UpstreamTest, AStoppedServerFailsItsStreamsAndTheNextRequestReconnects) {
  const uint16_t port = freePort();
  auto server = std::make_unique<GrpcServer>(port);
  ASSERT_TRUE(server->ready());
  const uint16_t vip = freePort();
  SluiceProcess sluice(plainConfig("127.0.0.1:" + std::to_string(port), vip, true));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(callGrpc("127.0.0.1:" + std::to_string(vip)).value("concurrent", 0), 50);
  // The server goes away with its connection; a new one is made for the next calls.
  server.reset();
  server = std::make_unique<GrpcServer>(port);
  ASSERT_TRUE(server->ready());
  expectEveryCallWorked(callGrpc("127.0.0.1:" + std::to_string(vip)));
  EXPECT_EQ(metric("sluice_server_connections_total{group=\"grpc\""), 2);
}

TEST_F(Http2UpstreamTest, AServersStreamLimitAndItsGoawaysCostNoCall) {
  // At most 4 streams per connection, and a GOAWAY on every connection after 300 ms.
  GrpcServer server(freePort(), "", "", {"GRPC_MAX_STREAMS=4", "GRPC_MAX_AGE_MS=300"});
  ASSERT_TRUE(server.ready());
  const uint16_t vip = freePort();
  SluiceProcess sluice(plainConfig(server.address(), vip, true));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (int round = 0; round < 2; ++round) {
    expectEveryCallWorked(callGrpc("127.0.0.1:" + std::to_string(vip)));
    std::this_thread::sleep_for(400ms);  // past the server's connection age
  }
  if (HasFailure()) ADD_FAILURE() << "access log:\n" << sluice.stdoutText();
  // 50 calls at once need more than one connection of 4 streams; aged connections are replaced.
  EXPECT_GT(metric("sluice_server_connections_total{group=\"grpc\""), 2);
  EXPECT_EQ(metric("sluice_server_connect_failures_total{group=\"grpc\""), 0);
}

// NGINX as an h2c server (prior knowledge) that ends each connection after `requests`
// requests with a GOAWAY, as servers do routinely (keepalive_requests, gRPC's max connection
// age): answers 200 "ok" to any method, body or not. Stopped at the end of the test.
class NginxH2Server {
 public:
  NginxH2Server(uint16_t port, int requests) : port_(port) {
    char dir[] = "/tmp/sluice-nginx-XXXXXX";
    dir_ = ::mkdtemp(dir) ? dir : "";
    const std::string conf = dir_ + "/nginx.conf";
    std::FILE* f = std::fopen(conf.c_str(), "w");
    if (!f) return;
    std::fprintf(f,
                 "daemon off;\nmaster_process off;\nuser root;\npid %s/nginx.pid;\n"
                 "error_log %s/error.log;\nevents { worker_connections 1024; }\n"
                 "http {\n  access_log off;\n  keepalive_requests %d;\n"
                 "  http2_max_concurrent_streams 128;\n"
                 "  server {\n    listen 127.0.0.1:%u http2;\n"
                 "    location / { return 200 \"ok\\n\"; }\n  }\n}\n",
                 dir_.c_str(), dir_.c_str(), requests, static_cast<unsigned>(port));
    std::fclose(f);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/sbin/nginx", "nginx", "-c", conf.c_str(), "-p", dir_.c_str(), nullptr);
      ::_exit(127);
    }
    ready_ = eventually(
        [&] {
          const int fd = connectLocal(port_);
          if (fd < 0) return false;
          ::close(fd);
          return true;
        },
        5000ms);
  }
  ~NginxH2Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }
  bool ready() const { return ready_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  uint16_t port_;
  std::string dir_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

TEST_F(Http2UpstreamTest, AServerEndingEachConnectionAfter100RequestsCostsNoRequest) {
  // Its GOAWAY names the last stream it took; every stream Sluice sent past it, with or
  // without a body, goes again on a new connection, even when the GOAWAY and the connection's
  // end come in one read.
  NginxH2Server server(freePort(), 100);
  ASSERT_TRUE(server.ready());
  const uint16_t vip = freePort();
  SluiceProcess sluice(plainConfig(server.address(), vip, true));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string body = std::string(SLUICE_PROJECT_DIR) + "/README.md";
  for (const std::string& method : {std::string(""), "-d " + body}) {
    std::string out;
    // 40 streams in flight, fewer than a connection takes: a refused stream finds room on the
    // next connection (each refusal spends one of the group's retries).
    runCommand("timeout 120 h2load -n 5000 -c 4 -m 10 " + method +
                   " http://127.0.0.1:" + std::to_string(vip) + "/",
               out);
    EXPECT_NE(out.find("5000 succeeded, 0 failed, 0 errored, 0 timeout"), std::string::npos)
        << method << "\n"
        << out;
  }
  // 10,000 requests at 100 a connection.
  EXPECT_GE(metric("sluice_server_connections_total{group=\"grpc\""), 100);
  if (HasFailure()) {
    int shown = 0;
    for (const nlohmann::json& line : sluice.accessLog()) {
      if (line.value("status", 0) != 200 && shown++ < 5) ADD_FAILURE() << line.dump();
    }
  }
}

TEST_F(Http2UpstreamTest, UploadsAnsweredBeforeTheirEndGiveTheirWindowBack) {
  // A server that answers as soon as it has the head (a 403, a redirect, a cached answer): the
  // bytes of the body Sluice took from the client but never forwarded must come back to the
  // client connection's window, or a few such uploads stall every stream after them.
  ScriptServer server(std::string(SLUICE_PROJECT_DIR) + "/test/h2/trailers_check.py", freePort(),
                      {}, {"ANSWER_EARLY=1"});
  ASSERT_TRUE(server.ready());
  const uint16_t vip = freePort();
  SluiceProcess sluice(plainConfig(server.address(), vip, true));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // 200 uploads of 200 KiB on one connection, 4 at a time: 40 MiB through one connection.
  const std::string body = "/tmp/sluice-upload-" + std::to_string(::getpid());
  std::string out;
  runCommand("head -c 204800 /dev/zero > " + body, out);
  runCommand("timeout 60 h2load -n 200 -c 1 -m 4 -d " + body +
                 " http://127.0.0.1:" + std::to_string(vip) + "/",
             out);
  std::remove(body.c_str());
  EXPECT_NE(out.find("200 succeeded, 0 failed, 0 errored, 0 timeout"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::test
