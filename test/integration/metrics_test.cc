// The admin listener end to end: /metrics scraped by a real Prometheus (Debian's), started by
// the test and queried through its HTTP API, and checked by promtool; /healthz and /readyz as
// a load balancer or Kubernetes probes them. The traffic is the test's own, so every count is
// known.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

std::string httpGet(uint16_t port, const std::string& path, int* status = nullptr) {
  std::string out;
  runCommand("curl -sS --max-time 5 -o - -w '\\n%{http_code}' http://127.0.0.1:" +
                 std::to_string(port) + path,
             out);
  const size_t last = out.rfind('\n');
  if (status) *status = last == std::string::npos ? 0 : std::atoi(out.c_str() + last + 1);
  return last == std::string::npos ? out : out.substr(0, last);
}

// The value of one sample on a /metrics page ("name{labels}" exactly as written), or -1.
double sampleOf(const std::string& page, const std::string& series) {
  const size_t at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + series.size() + 2));
}

// A real Prometheus server scraping one target every second, on its own port and storage.
class Prometheus {
 public:
  explicit Prometheus(uint16_t target) {
    char dir[] = "/tmp/sluice-prometheus-XXXXXX";
    dir_ = ::mkdtemp(dir);
    std::ofstream(dir_ + "/prometheus.yml")
        << "global: {scrape_interval: 1s, scrape_timeout: 900ms}\n"
           "scrape_configs:\n  - job_name: sluice\n    static_configs:\n"
           "      - targets: ['127.0.0.1:"
        << target << "']\n";
    const std::string config = dir_ + "/prometheus.yml", storage = "--storage.tsdb.path=" + dir_,
                      web = "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                      file = "--config.file=" + config;
    pid_ = ::fork();
    if (pid_ == 0) {
      const int log = ::open((dir_ + "/log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::execlp("prometheus", "prometheus", file.c_str(), storage.c_str(), web.c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~Prometheus() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // The instant query's first value, or -1 when it has none (yet).
  double query(const std::string& promql) {
    std::string out;
    runCommand("curl -sS --max-time 5 -G --data-urlencode 'query=" + promql +
                   "' http://127.0.0.1:" + std::to_string(port_) + "/api/v1/query",
               out);
    const auto json = nlohmann::json::parse(out, nullptr, false);
    if (json.is_discarded() || json.value("status", "") != "success") return -1;
    const auto& result = json["data"]["result"];
    if (!result.is_array() || result.empty()) return -1;
    return std::stod(result[0]["value"][1].get<std::string>());
  }
  // Polls `promql` until it equals `expected` (Prometheus scrapes every second).
  bool eventuallyEquals(const std::string& promql, double expected) {
    return eventually([&] { return query(promql) == expected; }, 20000ms);
  }

 private:
  uint16_t port_ = freePort();
  std::string dir_;
  pid_t pid_ = -1;
};

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() : a_(httpOrigin("a")), healthy_(std::make_shared<std::atomic<int>>(200)) {
    b_ = std::make_unique<TestOrigin>(httpOrigin("b", healthy_));
  }
  std::string config(const std::string& extraVips = "") {
    const CertFactory::Issued& cert = this->cert();
    return "global: {workers: 2}\n"
           "admin: {listen: 127.0.0.1:" +
           std::to_string(admin_) +
           "}\n"
           "certificates:\n  - {name: shop, cert: " +
           cert.cert + ", key: " + cert.key +
           "}\n"
           "server_groups:\n"
           "  - {name: web, protocol: http, servers: [{name: a, address: " +
           a_.address() +
           "}]}\n"
           "  - name: checked\n    protocol: http\n"
           "    health: {type: http, path: /healthz, interval: 200ms, timeout: 100ms, rise: 1, "
           "fall: 1}\n"
           "    servers: [{name: b, address: " +
           b_->address() +
           "}]\n"
           "vips:\n"
           "  - {name: web, listen: 127.0.0.1:" +
           std::to_string(web_) +
           ", service: http, default_group: web}\n"
           "  - {name: shop, listen: 127.0.0.1:" +
           std::to_string(shop_) +
           ", service: https-offload, certificates: [shop], default_group: checked}\n" + extraVips;
  }
  static const CertFactory::Issued& cert() {
    static const CertFactory::Issued issued = CertFactory::instance().issue({"shop.test"});
    return issued;
  }
  std::string metrics() { return httpGet(admin_, "/metrics"); }

  uint16_t admin_ = freePort();
  uint16_t web_ = freePort();
  uint16_t shop_ = freePort();
  TestOrigin a_;
  std::shared_ptr<std::atomic<int>> healthy_;
  std::unique_ptr<TestOrigin> b_;
};

TEST_F(MetricsTest, PrometheusScrapesTheCountsOfTheTrafficSent) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  Prometheus prometheus(admin_);
  // Five answered requests and one refused by Sluice (two Host fields: 400).
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(httpGet(web_, "/echo").empty(), false);
  exchangeOnce(web_, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 2000ms);
  // Two TLS handshakes on the offload VIP.
  for (int i = 0; i < 2; ++i) {
    tlsExchange(shop_, "shop.test",
                "GET /echo HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n");
  }

  EXPECT_TRUE(
      prometheus.eventuallyEquals("sluice_requests_total{vip=\"web\",code_class=\"2xx\"}", 5));
  EXPECT_TRUE(
      prometheus.eventuallyEquals("sluice_requests_total{vip=\"web\",code_class=\"4xx\"}", 1));
  EXPECT_TRUE(prometheus.eventuallyEquals("sluice_connections_accepted_total{vip=\"web\"}", 6));
  EXPECT_TRUE(prometheus.eventuallyEquals(
      "sum(sluice_tls_handshakes_total{vip=\"shop\",result=\"ok\"})", 2));
  EXPECT_TRUE(
      prometheus.eventuallyEquals("sluice_request_duration_seconds_count{vip=\"shop\"}", 2));
  EXPECT_TRUE(prometheus.eventuallyEquals("sluice_connections_active{vip=\"web\"}", 0));
  EXPECT_TRUE(prometheus.eventuallyEquals("sluice_server_up{group=\"checked\",server=\"b\"}", 1));
  EXPECT_GT(prometheus.query("sluice_health_checks_total{server=\"b\",result=\"passed\"}"), 0);
  EXPECT_GT(prometheus.query("sluice_client_sent_bytes_total{vip=\"shop\"}"), 0);
  // Server connections are pooled: at least one connect, at most one per request.
  const double connects =
      prometheus.query("sluice_upstream_connect_duration_seconds_count{group=\"web\"}");
  EXPECT_GE(connects, 1);
  EXPECT_LE(connects, 5);

  // A server going down shows, without a reload. (Counted from what is there now: on a loaded
  // machine a 100 ms check may already have timed out once, and back up.)
  const std::string downs =
      "sluice_server_state_changes_total{group=\"checked\",server=\"b\",to=\"down\"}";
  const double downsBefore = std::max(0.0, prometheus.query(downs));
  *healthy_ = 500;
  EXPECT_TRUE(prometheus.eventuallyEquals("sluice_server_up{group=\"checked\",server=\"b\"}", 0));
  EXPECT_TRUE(eventually([&] { return prometheus.query(downs) >= downsBefore + 1; }, 20000ms));
}

TEST_F(MetricsTest, ThePageIsValidForPromtoolAndNoLabelTakesUnboundedValues) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // Requests whose paths and methods must not become labels.
  for (const std::string path : {"/echo?x=1", "/a/b/c", "/%7Euser"})
    httpGet(web_, path);
  exchangeOnce(web_, "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 2000ms);
  const std::string page = metrics();
  ASSERT_GT(page.size(), 1000u);
  const std::string file = sluice.configPath() + ".metrics";
  std::ofstream(file) << page;
  std::string out;
  EXPECT_EQ(runCommand("promtool check metrics < " + file, out), 0) << out;
  EXPECT_EQ(page.find("/echo"), std::string::npos);
  EXPECT_EQ(page.find("BREW"), std::string::npos);
  EXPECT_EQ(page.find("user"), std::string::npos);
  // What every family is named, in base units with the prefix.
  for (const std::string family :
       {"sluice_connections_accepted_total", "sluice_connections_closed_total",
        "sluice_connections_active", "sluice_requests_total", "sluice_request_duration_seconds",
        "sluice_upstream_connect_duration_seconds", "sluice_client_received_bytes_total",
        "sluice_client_sent_bytes_total", "sluice_tls_handshakes_total", "sluice_server_up",
        "sluice_health_checks_total", "sluice_server_ejections_total", "sluice_config_revision",
        "sluice_reloads_total", "sluice_last_reload_success_timestamp_seconds",
        "sluice_connections_draining"}) {
    EXPECT_NE(page.find("# TYPE " + family + " "), std::string::npos) << family;
  }
}

TEST_F(MetricsTest, CountersAreKeptAcrossAReloadAndReloadsAreCountedByResult) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  for (int i = 0; i < 3; ++i)
    httpGet(web_, "/echo");
  std::string broken = config();
  broken.replace(broken.find("service: http,"), 14, "service: htp,");
  EXPECT_FALSE(sluice.reload(broken));
  ASSERT_TRUE(
      sluice.reload(config("  - {name: more, listen: 127.0.0.1:" + std::to_string(freePort()) +
                           ", service: http, default_group: web}\n")));
  httpGet(web_, "/echo");
  const std::string page = metrics();
  EXPECT_EQ(sampleOf(page, "sluice_requests_total{vip=\"web\",code_class=\"2xx\"}"), 4)
      << "counted before and after the reload";
  EXPECT_EQ(sampleOf(page, "sluice_config_revision"), 2);
  EXPECT_EQ(sampleOf(page, "sluice_reloads_total{result=\"ok\"}"), 1);
  EXPECT_EQ(sampleOf(page, "sluice_reloads_total{result=\"invalid\"}"), 1);
  EXPECT_GT(sampleOf(page, "sluice_last_reload_success_timestamp_seconds"), 1.7e9);
  EXPECT_EQ(sampleOf(page, "sluice_connections_accepted_total{vip=\"more\"}"), 0)
      << "the new VIP's series are there from the start";
}

TEST_F(MetricsTest, ReadinessTurnsTo503WhileDrainingAndHealthStaysOk) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  int status = 0;
  EXPECT_EQ(httpGet(admin_, "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(httpGet(admin_, "/readyz", &status), "ready: revision 1\n");
  EXPECT_EQ(status, 200);
  // An open connection keeps the drain going.
  const int open = connectLocal(web_);
  writeAll(open, "GET /slow/3000 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::this_thread::sleep_for(200ms);
  sluice.signal(SIGTERM);
  EXPECT_TRUE(eventually(
      [&] {
        int s = 0;
        httpGet(admin_, "/readyz", &s);
        return s == 503;
      },
      5000ms));
  EXPECT_EQ(httpGet(admin_, "/healthz", &status), "ok\n");
  ::close(open);
  EXPECT_EQ(sluice.waitExit(), 0);
}

TEST_F(MetricsTest, AnAdminPortInUseIsAClearStartUpError) {
  SluiceProcess first(config());
  ASSERT_TRUE(first.waitReady());
  const uint16_t otherWeb = web_, otherShop = shop_;
  web_ = freePort();
  shop_ = freePort();
  SluiceProcess second(config());
  EXPECT_EQ(second.waitExit(), 1);
  EXPECT_NE(second.stderrText().find("admin.listen: cannot listen on 127.0.0.1:" +
                                     std::to_string(admin_)),
            std::string::npos)
      << second.stderrText();
  web_ = otherWeb;
  shop_ = otherShop;
}

}  // namespace
}  // namespace sluice::test
