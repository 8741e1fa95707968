#include "server/demo.h"

#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"
#include "core/log.h"
#include "server/admin/api_token.h"
#include "server/control_loop.h"
#include "server/demo_origin.h"
#include "tls/certificate_factory.h"

namespace sluice {
namespace {

// One VIP per service that this version of Sluice offers, each in front of demo origins, and
// a listener that mixes passthrough and termination.
// Fixed loopback ports keep the printed commands the same from one run to the next.
// @DIR@ stands for the directory of the demo's certificates, made at start, and @TOKEN@ for
// the SHA-256 of the admin token made at start (printed, for the console).
constexpr const char* kDemoConfig = R"(global:
  workers: 2
  drain_timeout: 5s
  access_log: stdout
  sticky_secret: "demo only: set your own, the same on every node"
admin:
  listen: 127.0.0.1:19900
  tokens: [{name: demo, role: admin, sha256: @TOKEN@}]
certificates:
  - {name: shop, cert: "@DIR@/shop.pem", key: "@DIR@/shop.key"}
server_groups:
  - name: demo-origins
    protocol: tcp
    balance: round_robin
    retries: 1
    timeouts: {connect: 1s, idle: 60s}
    servers:
      - {name: origin-a, address: 127.0.0.1:18081}
      - {name: origin-b, address: 127.0.0.1:18082}
  - name: demo-web
    protocol: http
    servers:
      - {name: origin-a, address: 127.0.0.1:18081}
      - {name: origin-b, address: 127.0.0.1:18082}
  - name: demo-shop
    protocol: http
    sticky:
      cookie: {name: SLUICE_SRV, max_age: 8h}
    servers:
      - {name: origin-a, address: 127.0.0.1:18081}
      - {name: origin-b, address: 127.0.0.1:18082}
  - name: demo-tls-alpha
    proxy_protocol: off
    servers: [{name: alpha, address: 127.0.0.1:18541}]
  - name: demo-tls-beta
    servers: [{name: beta, address: 127.0.0.1:18542}]
  - name: demo-secure
    protocol: https
    tls: {ca: "@DIR@/ca.pem"}
    servers:
      - {name: alpha.demo.test, address: 127.0.0.1:18541}
      - {name: beta.demo.test, address: 127.0.0.1:18542}
vips:
  - name: demo-tcp
    listen: 127.0.0.1:18080
    service: tcp
    default_group: demo-origins
  - name: demo-passthrough
    listen: 127.0.0.1:18443
    service: https-passthrough
    default_group: demo-tls-alpha
    sni_routes:
      - {sni: alpha.demo.test, group: demo-tls-alpha}
      - {sni: "*.beta.demo.test", group: demo-tls-beta}
      - {sni: beta.demo.test, group: demo-tls-beta}
  - name: demo-offload
    listen: 127.0.0.1:18444
    service: https-offload
    certificates: [shop]
    default_group: demo-shop
    hsts: {max_age: 31536000}
    rules:
      - name: no-admin-from-outside
        match: {path_prefix: /admin, not_source: [10.0.0.0/8]}
        action: {deny: 403}
      - match: {any: true}
        action: {set_request_headers: {X-Demo: "yes"}, remove_response_headers: [X-Demo-Origin]}
  - name: demo-http
    listen: 127.0.0.1:18088
    service: http
    default_group: demo-web
  - name: demo-bridge
    listen: 127.0.0.1:18445
    service: https-bridge
    certificates: [shop]
    default_group: demo-secure
  - name: demo-edge
    listen: 127.0.0.1:18446
    service: https-offload
    certificates: [shop]
    default_group: demo-web
    sni_routes:
      - {sni: alpha.demo.test, mode: passthrough, group: demo-tls-alpha}
)";

constexpr const char* kCrlPath = "/demo-ca.crl";

struct DemoOriginSpec {
  const char* name;
  const char* address;
  const char* certName;  // nullptr: plain TCP
};

constexpr DemoOriginSpec kOrigins[] = {
    {"origin-a", "127.0.0.1:18081", nullptr},
    {"origin-b", "127.0.0.1:18082", nullptr},
    {"alpha", "127.0.0.1:18541", "alpha.demo.test"},
    {"beta", "127.0.0.1:18542", "beta.demo.test"},
};

void printTryCommands(const std::string& dir, const std::string& ca, const std::string& token) {
  std::printf(
      "\n"
      "Sluice demo is running. Try, from another terminal:\n"
      "\n"
      "  # tcp VIP 127.0.0.1:18080 -> origin-a, origin-b (round robin): run it a few times\n"
      "  curl -s http://127.0.0.1:18080/\n"
      "  # any TCP protocol passes through untouched: each line comes back from one origin\n"
      "  printf 'hello\\nworld\\n' | nc -N 127.0.0.1 18080\n"
      "\n"
      "  # https-passthrough VIP 127.0.0.1:18443: routed by SNI, never decrypted; each origin\n"
      "  # holds its own certificate, signed by a demo CA made for this run\n"
      "  curl -s --cacert %s --resolve alpha.demo.test:18443:127.0.0.1 "
      "https://alpha.demo.test:18443/\n"
      "  curl -s --cacert %s --resolve beta.demo.test:18443:127.0.0.1 "
      "https://beta.demo.test:18443/\n"
      "  openssl s_client -connect 127.0.0.1:18443 -servername beta.demo.test -CAfile %s "
      "</dev/null "
      "| grep -E '^(subject|issuer)='\n"
      "\n"
      "  # https-offload VIP 127.0.0.1:18444: TLS ends at Sluice (certificate for "
      "shop.demo.test),\n"
      "  # the origins get plain HTTP with X-Forwarded-Proto: https; responses carry HSTS\n"
      "  curl -si --cacert %s --resolve shop.demo.test:18444:127.0.0.1 "
      "https://shop.demo.test:18444/\n"
      "  # its group is sticky: with a cookie jar, every request goes to the same origin\n"
      "  curl -s -c %s/jar -b %s/jar --cacert %s --resolve shop.demo.test:18444:127.0.0.1 "
      "https://shop.demo.test:18444/ https://shop.demo.test:18444/ https://shop.demo.test:18444/\n"
      "  # and a rule keeps /admin to the office network (10.0.0.0/8): 403 from here\n"
      "  curl -si --cacert %s --resolve shop.demo.test:18444:127.0.0.1 "
      "https://shop.demo.test:18444/admin/\n"
      "\n"
      "  # http VIP 127.0.0.1:18088: the same origins over plain HTTP, through the HTTP proxy\n"
      "  curl -s http://127.0.0.1:18088/\n"
      "\n"
      "  # https-bridge VIP 127.0.0.1:18445: TLS ends at Sluice, then new TLS to the HTTPS\n"
      "  # origins alpha and beta, whose certificates Sluice verifies against the demo CA\n"
      "  curl -s --cacert %s --resolve shop.demo.test:18445:127.0.0.1 "
      "https://shop.demo.test:18445/\n"
      "\n"
      "  # one port, two modes (127.0.0.1:18446): alpha.demo.test is passed through untouched\n"
      "  # (alpha's own certificate), every other name is terminated (the shop certificate)\n"
      "  openssl s_client -connect 127.0.0.1:18446 -servername alpha.demo.test -CAfile %s "
      "</dev/null | grep -E '^subject='\n"
      "  openssl s_client -connect 127.0.0.1:18446 -servername shop.demo.test -CAfile %s "
      "</dev/null | grep -E '^subject='\n"
      "\n"
      "  # the admin listener: Prometheus metrics, liveness and readiness\n"
      "  curl -s http://127.0.0.1:19900/metrics | grep sluice_requests_total\n"
      "  # and the admin API, with this run's admin token\n"
      "  curl -s -H 'Authorization: Bearer %s' http://127.0.0.1:19900/api/v1/status\n"
      "\n"
      "The console: open http://127.0.0.1:19900/console/ and sign in with the token\n"
      "  %s\n"
      "\n"
      "  # the config is %s/sluice.yaml: edit it, then reload without dropping a connection\n"
      "  kill -HUP %d\n"
      "\n"
      "Each connection writes one JSON access-log line below. Stop with Ctrl-C.\n\n",
      ca.c_str(), ca.c_str(), ca.c_str(), ca.c_str(), dir.c_str(), dir.c_str(), ca.c_str(),
      ca.c_str(), ca.c_str(), ca.c_str(), ca.c_str(), token.c_str(), token.c_str(), dir.c_str(),
      static_cast<int>(::getpid()));
  std::fflush(stdout);
}

// The demo's files (CA, certificates) live in a temporary directory removed at exit.
class DemoDirectory {
 public:
  DemoDirectory() {
    char path[] = "/tmp/sluice-demo-XXXXXX";
    if (::mkdtemp(path)) path_ = path;
  }
  ~DemoDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string demoConfig(const std::string& directory, const std::string& tokenSha256) {
  std::string text = kDemoConfig;
  for (size_t at; (at = text.find("@DIR@")) != std::string::npos;)
    text.replace(at, 5, directory);
  text.replace(text.find("@TOKEN@"), 7, tokenSha256);
  return text;
}

int runDemo() {
  DemoDirectory directory;
  if (directory.path().empty()) {
    logError("demo: cannot create a temporary directory");
    return 1;
  }
  std::vector<std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>> contexts;
  EventLoop originLoop;
  std::vector<std::unique_ptr<DemoOrigin>> origins;
  try {
    CertificateFactory certificates(directory.path(), "Sluice Demo CA");
    // The demo CA publishes a (so far empty) revocation list, served by origin-a.
    certificates.setCrlUrl(std::string("http://") + kOrigins[0].address + kCrlPath);
    certificates.writeCrl(directory.path() + "/ca.crl");
    certificates.issue("shop", {"shop.demo.test"});
    for (const DemoOriginSpec& spec : kOrigins) {
      SSL_CTX* tls = nullptr;
      if (spec.certName) {
        const auto files = certificates.issue(spec.name, {spec.certName});
        contexts.emplace_back(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
        tls = contexts.back().get();
        if (SSL_CTX_use_certificate_chain_file(tls, files.cert.c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(tls, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
          logError(std::string("demo origin ") + spec.name + ": cannot load its certificate");
          return 1;
        }
      }
      std::string error;
      auto& origin = origins.emplace_back(std::make_unique<DemoOrigin>());
      if (&spec == &kOrigins[0]) {
        std::ifstream crl(directory.path() + "/ca.crl");
        origin->serveFile(kCrlPath, std::string(std::istreambuf_iterator<char>(crl), {}),
                          "application/pkix-crl");
      }
      if (!origin->listen(originLoop, spec.name, *SocketAddress::parse(spec.address), error, tls)) {
        logError(std::string("demo origin ") + spec.name + ": " + error +
                 " (is another demo already running?)");
        return 1;
      }
    }
  } catch (const std::exception& e) {
    logError(e.what());
    return 1;
  }
  // The config goes to a file, so that an operator can edit it and reload (SIGHUP).
  const std::string path = directory.path() + "/sluice.yaml";
  const std::string token = newApiToken();
  std::ofstream(path) << demoConfig(directory.path(), apiTokenSha256(token));
  ConfigLoadResult config = loadConfigFile(path);
  if (!config.ok()) {
    for (const ConfigError& e : config.errors)
      logError(e.toString());
    return 1;
  }
  std::thread originThread([&originLoop] { originLoop.run(); });
  printTryCommands(directory.path(), directory.path() + "/ca.pem", token);
  const int status = runSluice(config.snapshot);
  originLoop.post([&originLoop] { originLoop.stop(); });
  originThread.join();
  return status;
}

}  // namespace sluice
