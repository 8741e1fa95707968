#include "config/config_loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "tls/certificate_factory.h"

namespace sluice {
namespace {

constexpr const char* kValid = R"(global:
  workers: 4
  drain_timeout: 10s
  access_log: off
server_groups:
  - name: db
    protocol: tcp
    balance: least_conn
    retries: 3
    timeouts: {connect: 250ms, idle: 2m}
    servers:
      - {name: db1, address: 127.0.0.1:5433, weight: 1}
      - {name: db2, address: "[::1]:5434", weight: 2, backup: true}
vips:
  - name: db-vip
    listen: 127.0.0.1:6543
    service: tcp
    active: true
    default_group: db
)";

// The errors of loading `yaml`, as "line:column: field: message" strings.
std::vector<std::string> errorsOf(const std::string& yaml) {
  std::vector<std::string> out;
  for (const ConfigError& e : loadConfigText(yaml, "t.yaml").errors) {
    out.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.field + ": " +
                  e.message);
  }
  return out;
}

// A minimal valid file with `groupLines` spliced into the group and `vipLines` into the VIP.
std::string withLines(const std::string& groupLines, const std::string& vipLines = "") {
  return "server_groups:\n"
         "  - name: g\n" +
         groupLines +
         "    servers:\n"
         "      - {name: s1, address: 127.0.0.1:9001}\n"
         "vips:\n"
         "  - name: v\n"
         "    listen: 127.0.0.1:8000\n"
         "    service: tcp\n"
         "    default_group: g\n" +
         vipLines;
}

::testing::AssertionResult hasError(const std::vector<std::string>& errors,
                                    const std::string& expected) {
  for (const auto& e : errors) {
    if (e.find(expected) != std::string::npos) return ::testing::AssertionSuccess();
  }
  auto failure = ::testing::AssertionFailure() << "no error contains \"" << expected << "\"; got:";
  for (const auto& e : errors)
    failure << "\n  " << e;
  return failure;
}

TEST(ConfigLoader, ReadsEveryFieldOfAValidFile) {
  ConfigLoadResult result = loadConfigText(kValid, "t.yaml");
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const ConfigSnapshot& c = *result.snapshot;
  EXPECT_EQ(c.global.workers, 4u);
  EXPECT_EQ(c.workerCount(), 4u);
  EXPECT_EQ(c.global.drainTimeout, Millis(10000));
  EXPECT_EQ(c.global.accessLog, "off");
  EXPECT_EQ(c.global.pipeSize, 1u << 20) << "default";
  ASSERT_EQ(c.serverGroups.size(), 1u);
  const ServerGroupConfig& g = c.serverGroups[0];
  EXPECT_EQ(g.balance, BalanceAlgorithm::kLeastConn);
  EXPECT_EQ(g.retries, 3u);
  EXPECT_EQ(g.connectTimeout, Millis(250));
  EXPECT_EQ(g.idleTimeout, Millis(120000));
  ASSERT_EQ(g.servers.size(), 2u);
  EXPECT_EQ(g.servers[1].address.toString(), "[::1]:5434");
  EXPECT_EQ(g.servers[1].weight, 2u);
  EXPECT_TRUE(g.servers[1].backup);
  ASSERT_EQ(c.vips.size(), 1u);
  EXPECT_EQ(c.vips[0].listen.toString(), "127.0.0.1:6543");
  EXPECT_EQ(c.vips[0].defaultGroupIndex, 0u);
}

TEST(ConfigLoader, AppliesDefaults) {
  ConfigLoadResult result = loadConfigText(withLines(""), "t.yaml");
  ASSERT_TRUE(result.ok());
  const ConfigSnapshot& c = *result.snapshot;
  EXPECT_EQ(c.global.workers, 0u) << "auto";
  EXPECT_GE(c.workerCount(), 1u);
  EXPECT_EQ(c.global.drainTimeout, Millis(30000));
  EXPECT_EQ(c.global.accessLog, "stdout");
  EXPECT_EQ(c.serverGroups[0].balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_EQ(c.serverGroups[0].retries, 2u);
  EXPECT_EQ(c.serverGroups[0].connectTimeout, Millis(3000));
  EXPECT_EQ(c.serverGroups[0].idleTimeout, Millis(300000));
  EXPECT_TRUE(c.vips[0].active);
}

TEST(ConfigLoader, UnknownKeysAreErrorsWithTheirLocation) {
  const auto errors = errorsOf(withLines("    balancing: round_robin\n", "    actve: false\n"));
  EXPECT_TRUE(hasError(errors, "3:5: server_groups[0].balancing: unknown key 'balancing'"));
  EXPECT_TRUE(hasError(errors, "11:5: vips[0].actve: unknown key 'actve'"));
  EXPECT_TRUE(hasError(errors, "known keys: name, listen, service, active, default_group"));
  EXPECT_TRUE(hasError(errorsOf("globals: {}\n"), "1:1: globals: unknown key 'globals'"));
}

TEST(ConfigLoader, BadValuesNameLineFieldAndWhatIsWrong) {
  EXPECT_TRUE(hasError(errorsOf(withLines("    timeouts: {connect: 3}\n")),
                       "3:25: server_groups[0].timeouts.connect: '3' is not a duration"));
  EXPECT_TRUE(hasError(errorsOf(withLines("    balance: fastest\n")),
                       "3:14: server_groups[0].balance: 'fastest' is not one of: round_robin, "
                       "least_conn, source_hash, random_two"));
  EXPECT_TRUE(hasError(errorsOf(withLines("    retries: -1\n")),
                       "3:14: server_groups[0].retries: '-1' must be a whole number"));
  EXPECT_TRUE(hasError(errorsOf(withLines("", "    active: maybe\n")),
                       "10:13: vips[0].active: 'maybe' must be true or false"));
  EXPECT_TRUE(hasError(errorsOf("global: {workers: 0}\n"), "1:19: global.workers:"));
  EXPECT_TRUE(hasError(errorsOf("global: {workers: lots}\n"), "global.workers: 'lots'"));
  EXPECT_TRUE(hasError(errorsOf("global: {pipe_size: 1KiB}\n"),
                       "1:21: global.pipe_size: '1KiB' must be a size from 4KiB to 1GiB"));
}

TEST(ConfigLoader, BadAddressesSayWhy) {
  const std::string yaml =
      "server_groups:\n"
      "  - name: g\n"
      "    servers:\n"
      "      - {name: s1, address: db.internal:5432}\n"
      "vips:\n"
      "  - {name: v, listen: 127.0.0.1, service: tcp, default_group: g}\n";
  const auto errors = errorsOf(yaml);
  EXPECT_TRUE(hasError(errors,
                       "4:29: server_groups[0].servers[0].address: 'db.internal:5432': "
                       "'db.internal' is not a numeric IPv4 address"));
  EXPECT_TRUE(hasError(errors, "6:23: vips[0].listen: '127.0.0.1': expected host:port"));
}

TEST(ConfigLoader, ReferencesAndDuplicatesAreChecked) {
  const std::string yaml =
      "server_groups:\n"
      "  - name: g\n"
      "    servers:\n"
      "      - {name: s1, address: 127.0.0.1:9001}\n"
      "      - {name: s1, address: 127.0.0.1:9002}\n"
      "  - name: g\n"
      "    servers: [{name: s, address: 127.0.0.1:9003}]\n"
      "vips:\n"
      "  - {name: v, listen: 127.0.0.1:80, service: tcp, default_group: missing}\n"
      "  - {name: v, listen: 127.0.0.1:80, service: tcp, default_group: g}\n"
      "  - {name: w, listen: 127.0.0.1:80, service: tcp, default_group: g, active: false}\n";
  const auto errors = errorsOf(yaml);
  EXPECT_TRUE(hasError(errors,
                       "5:16: server_groups[0].servers[1].name: 's1' is already the name "
                       "of server_groups[0].servers[0]"));
  EXPECT_TRUE(hasError(errors,
                       "6:11: server_groups[1].name: 'g' is already the name of "
                       "server_groups[0]"));
  EXPECT_TRUE(hasError(errors, "9:66: vips[0].default_group: no server group is named 'missing'"));
  EXPECT_TRUE(hasError(errors, "10:12: vips[1].name: 'v' is already the name of vips[0]"));
  EXPECT_TRUE(hasError(errors,
                       "10:23: vips[1].listen: 127.0.0.1:80 is already the address of "
                       "active vips[0]"));
  EXPECT_EQ(errors.size(), 5u) << "an inactive VIP may share an address";
}

TEST(ConfigLoader, GroupsNeedServersAndAPrimary) {
  EXPECT_TRUE(hasError(errorsOf("server_groups:\n  - name: g\n    servers: []\n"),
                       "3:14: server_groups[0].servers: needs a list of at least one server"));
  EXPECT_TRUE(hasError(errorsOf("server_groups:\n  - name: g\n    servers:\n"
                                "      - {name: a, address: 127.0.0.1:1, backup: true}\n"),
                       "server_groups[0].servers: every server is a backup"));
  EXPECT_TRUE(hasError(
      errorsOf("server_groups:\n  - name: g\n    servers:\n"
               "      - {name: a, address: 127.0.0.1:1, weight: 0}\n"),
      "4:49: server_groups[0].servers[0].weight: '0' must be a whole number from 1 to 1000"));
  EXPECT_TRUE(hasError(errorsOf("server_groups:\n  - name: bad name\n    servers: []\n"),
                       "2:11: server_groups[0].name: 'bad name' must be"));
}

TEST(ConfigLoader, HealthChecksAndTheServerLifecycle) {
  ConfigLoadResult result = loadConfigText(
      withLines(
          "    health: {type: tcp, interval: 2s, timeout: 1s, rise: 2, fall: 3, jitter: 10%}\n"
          "    passive: {consecutive_failures: 5, ejection: 30s}\n"
          "    slow_start: 10s\n    max_connections: 1000\n"
          "    timeouts: {queue: 2s}\n"),
      "t.yaml");
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const ServerGroupConfig& group = result.snapshot->serverGroups[0];
  EXPECT_EQ(group.health.type, HealthCheckConfig::Type::kTcp);
  EXPECT_EQ(group.health.fall, 3u);
  EXPECT_EQ(group.health.jitterPercent, 10u);
  EXPECT_EQ(group.passive.consecutiveFailures, 5u);
  EXPECT_EQ(group.slowStart, Millis(10000));
  EXPECT_EQ(group.maxConnections, 1000u);
  EXPECT_EQ(group.queueTimeout, Millis(2000));

  auto health = [](const std::string& keys) {
    return errorsOf(withLines("    health: {" + keys + "}\n"));
  };
  EXPECT_TRUE(hasError(health("type: icmp"), "server_groups[0].health.type: 'icmp' is not one of"));
  EXPECT_TRUE(hasError(health("type: tcp, path: /x"),
                       "server_groups[0].health.path: applies to http and https checks only"));
  EXPECT_TRUE(hasError(health("type: http, expect: {status: \"200-99\"}"),
                       "server_groups[0].health.expect.status: '200-99' must be a status or a "
                       "range like 200-399"));
  EXPECT_TRUE(
      hasError(health("type: http, interval: 1s, timeout: 2s"),
               "server_groups[0].health.timeout: must be above 0 and at most the interval"));
  EXPECT_TRUE(
      hasError(health("type: tcp, jitter: 80%"),
               "server_groups[0].health.jitter: '80%' must be a percentage from 0% to 50%"));
  EXPECT_TRUE(hasError(health("type: http, path: healthz"),
                       "server_groups[0].health.path: 'healthz' must be a path starting with /"));
  // The drain key is read (the health registry starts such a server draining).
  std::string drained = withLines("");
  drained.replace(drained.find("address: 127.0.0.1:9001}"), 24,
                  "address: 127.0.0.1:9001, drain: true}");
  result = loadConfigText(drained, "t.yaml");
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  EXPECT_TRUE(result.snapshot->serverGroups[0].servers[0].drain);
}

TEST(ConfigLoader, ServiceAndProtocolMustFit) {
  EXPECT_TRUE(hasError(errorsOf(withLines("    protocol: http\n")),
                       "vips[0].default_group: the tcp VIP relays bytes and needs a group with "
                       "protocol: tcp, but 'g' has protocol: http"));
  const std::string offload =
      "server_groups:\n  - name: g\n    servers: [{name: s, address: 127.0.0.1:1}]\n"
      "vips:\n  - {name: v, listen: 127.0.0.1:1, service: https-bridge, default_group: g}\n";
  EXPECT_TRUE(hasError(errorsOf(offload),
                       "5:74: vips[0].default_group: the https-bridge VIP sends its requests over "
                       "new TLS connections and needs a group with protocol: https, but 'g' has "
                       "protocol: tcp"));
  EXPECT_TRUE(hasError(
      errorsOf(withLines("").replace(withLines("").find("service: tcp"), 12, "service: udp")),
      "vips[0].service: 'udp' is not one of: tcp, http, https-passthrough"));
}

constexpr const char* kPassthrough = R"(server_groups:
  - {name: bank, proxy_protocol: v2, balance: source_hash, servers: [{name: b1, address: 127.0.0.1:9441}]}
  - {name: shop, servers: [{name: s1, address: 127.0.0.1:9442}]}
vips:
  - name: secure
    listen: 127.0.0.1:8443
    service: https-passthrough
    no_sni: reject
    limits: {client_hello_max: 8KiB}
    timeouts: {peek: 2s}
    sni_routes:
      - {sni: Bank.Example.Test, group: bank}
      - {sni: "*.shop.example.test", group: shop}
)";

TEST(ConfigLoader, ReadsAPassthroughVip) {
  ConfigLoadResult result = loadConfigText(kPassthrough, "t.yaml");
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const VipConfig& vip = result.snapshot->vips[0];
  EXPECT_EQ(vip.service, ServiceType::kHttpsPassthrough);
  EXPECT_EQ(vip.noSni, NoSniPolicy::kReject);
  EXPECT_EQ(vip.clientHelloMax, 8192u);
  EXPECT_EQ(vip.peekTimeout, Millis(2000));
  EXPECT_EQ(vip.defaultGroupIndex, kNoGroup) << "optional when sni_routes exist";
  ASSERT_EQ(vip.sniRoutes.size(), 2u);
  EXPECT_EQ(vip.sniRoutes[0].sni, "bank.example.test");
  EXPECT_EQ(vip.sniRouter->route("bank.example.test"), 0u);
  EXPECT_EQ(vip.sniRouter->route("eu.shop.example.test"), 1u);
  EXPECT_EQ(result.snapshot->serverGroups[0].proxyProtocol, ProxyProtocol::kV2);
}

TEST(ConfigLoader, PassthroughDefaults) {
  const std::string yaml =
      "server_groups:\n  - {name: g, servers: [{name: s, address: 127.0.0.1:1}]}\n"
      "vips:\n  - {name: v, listen: 127.0.0.1:2, service: https-passthrough, default_group: g}\n";
  ConfigLoadResult result = loadConfigText(yaml, "t.yaml");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.snapshot->vips[0].clientHelloMax, 16384u);
  EXPECT_EQ(result.snapshot->vips[0].peekTimeout, Millis(5000));
  EXPECT_EQ(result.snapshot->vips[0].noSni, NoSniPolicy::kDefault);
  EXPECT_EQ(result.snapshot->serverGroups[0].proxyProtocol, ProxyProtocol::kOff);
}

TEST(ConfigLoader, PassthroughErrorsAreLocated) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string yaml = kPassthrough;
    yaml.replace(yaml.find(from), from.size(), to);
    return errorsOf(yaml);
  };
  EXPECT_TRUE(hasError(with("Bank.Example.Test", "bank..test"),
                       "12:15: vips[0].sni_routes[0].sni: 'bank..test' is neither a host name"));
  EXPECT_TRUE(hasError(with("*.shop.example.test", "BANK.example.test"),
                       "13:15: vips[0].sni_routes[1].sni: 'bank.example.test' is routed twice"));
  EXPECT_TRUE(hasError(with("group: shop}", "group: nope}"),
                       "13:45: vips[0].sni_routes[1].group: no server group is named 'nope'"));
  EXPECT_TRUE(hasError(with("proxy_protocol: v2", "proxy_protocol: v3"),
                       "2:34: server_groups[0].proxy_protocol: 'v3' is not one of: off, v1, v2"));
  EXPECT_TRUE(hasError(with("8KiB", "8 KiB"), "9:32: vips[0].limits.client_hello_max: '8 KiB'"));
  EXPECT_TRUE(
      hasError(with("peek: 2s", "peek: 0s"), "10:22: vips[0].timeouts.peek: must be above 0"));
  EXPECT_TRUE(hasError(with("no_sni: reject", "no_sni: drop"), "8:13: vips[0].no_sni: 'drop'"));
  EXPECT_TRUE(hasError(with("    sni_routes:\n      - {sni: Bank.Example.Test, group: bank}\n"
                            "      - {sni: \"*.shop.example.test\", group: shop}\n",
                            ""),
                       "vips[0].default_group: is required when there are no sni_routes"));
  EXPECT_TRUE(hasError(with("https-passthrough", "tcp"),
                       "vips[0].sni_routes: sni_routes applies to https-passthrough, https-offload "
                       "and https-bridge VIPs, not to a tcp VIP"));
}

// An offload VIP and an http VIP, with certificates made for the test.
class OffloadConfig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char path[] = "/tmp/sluice-config-test-XXXXXX";
    dir_ = ::mkdtemp(path);
    CertificateFactory factory(dir_, "Config Test CA");
    factory.issue("shop-ec", {"shop.example.test"});
    factory.issue("shop-rsa", {"shop.example.test"}, CertificateFactory::KeyType::kRsa2048);
    factory.issue("old", {"old.example.test"}, CertificateFactory::KeyType::kEcdsaP256, -10, -1);
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string yaml(const std::string& vipExtra = "", const std::string& plainExtra = "") {
    return "certificates:\n"
           "  - {name: shop-ec, cert: shop-ec.pem, key: shop-ec.key}\n"
           "  - {name: shop-rsa, cert: " +
           dir_ + "/shop-rsa.pem, key: " + dir_ +
           "/shop-rsa.key}\n"
           "server_groups:\n"
           "  - {name: web, protocol: http, servers: [{name: w1, address: 127.0.0.1:8081}]}\n"
           "vips:\n"
           "  - name: shop\n"
           "    listen: 127.0.0.1:8443\n"
           "    service: https-offload\n"
           "    certificates: [shop-ec, shop-rsa]\n"
           "    default_group: web\n" +
           vipExtra +
           "  - name: shop-plain\n"
           "    listen: 127.0.0.1:8080\n"
           "    service: http\n"
           "    default_group: web\n" +
           plainExtra;
  }
  ConfigLoadResult load(const std::string& text) {
    return loadConfigText(text, dir_ + "/sluice.yaml");  // relative paths resolve against dir_
  }
  std::vector<std::string> errors(const std::string& text) {
    std::vector<std::string> out;
    for (const ConfigError& e : load(text).errors) {
      out.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.field +
                    ": " + e.message);
    }
    return out;
  }
  static std::string dir_;
};
std::string OffloadConfig::dir_;

TEST_F(OffloadConfig, ReadsTerminationAndHttpOptions) {
  ConfigLoadResult result = load(yaml(
      "    hsts: {max_age: 31536000, include_subdomains: true}\n"
      "    tls: {min_version: \"1.3\", alpn: [http/1.1]}\n"
      "    forwarded_headers: {trusted_proxies: [10.0.0.0/8, \"2001:db8::/32\"], rfc7239: true}\n"
      "    limits: {max_header_bytes: 16KiB, max_headers: 50, max_body: 10MiB}\n"
      "    timeouts: {client_header: 5s, client_body: 7s, server_response: 30s, keep_alive: 20s}\n"
      "    path_normalization: {merge_slashes: false}\n",
      "    redirect_https: {port: 8443, status: 308}\n"));
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const VipConfig& shop = result.snapshot->vips[0];
  ASSERT_TRUE(shop.tls);
  EXPECT_EQ(shop.tlsSettings.minVersion, "1.3");
  EXPECT_EQ(shop.tlsSettings.alpn, std::vector<std::string>{"http/1.1"});
  EXPECT_TRUE(shop.hsts.enabled);
  EXPECT_TRUE(shop.hsts.includeSubdomains);
  EXPECT_TRUE(shop.forwarded.rfc7239);
  EXPECT_TRUE(shop.forwarded.trustedProxies.contains(*SocketAddress::parse("10.1.2.3:1")));
  EXPECT_EQ(shop.request.maxHeaderBytes, 16384u);
  EXPECT_EQ(shop.request.maxBody, 10u << 20);
  EXPECT_EQ(shop.request.maxHeaders, 50u);
  EXPECT_FALSE(shop.request.paths.mergeSlashes);
  EXPECT_TRUE(shop.request.paths.decodeUnreserved);
  EXPECT_EQ(shop.clientBodyTimeout, Millis(7000));
  EXPECT_EQ(shop.clientHeaderTimeout, Millis(5000));
  EXPECT_EQ(shop.serverResponseTimeout, Millis(30000));
  EXPECT_EQ(shop.keepAliveTimeout, Millis(20000));
  const VipConfig& plain = result.snapshot->vips[1];
  EXPECT_TRUE(plain.redirectHttps.enabled);
  EXPECT_EQ(plain.redirectHttps.port, 8443);
  EXPECT_EQ(plain.redirectHttps.status, 308);
  EXPECT_EQ(result.snapshot->certificates[0].cert, dir_ + "/shop-ec.pem");
}

TEST_F(OffloadConfig, HttpDefaults) {
  ConfigLoadResult result = load(yaml("", "    redirect_https: true\n"));
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const VipConfig& shop = result.snapshot->vips[0];
  EXPECT_EQ(shop.request.maxHeaderBytes, 32768u);
  EXPECT_EQ(shop.request.maxBody, 1u << 30);
  EXPECT_EQ(shop.request.maxHeaders, 100u);
  EXPECT_TRUE(shop.request.paths.decodeUnreserved);
  EXPECT_TRUE(shop.request.paths.removeDotSegments);
  EXPECT_TRUE(shop.request.paths.mergeSlashes);
  EXPECT_EQ(shop.clientBodyTimeout, Millis(60000));
  EXPECT_EQ(shop.clientHeaderTimeout, Millis(10000));
  EXPECT_EQ(shop.serverResponseTimeout, Millis(60000));
  EXPECT_FALSE(shop.hsts.enabled);
  EXPECT_EQ(result.snapshot->vips[1].redirectHttps.port, 443);
  EXPECT_EQ(result.snapshot->vips[1].redirectHttps.status, 301);
}

TEST_F(OffloadConfig, CertificateProblemsNameTheFileAndLine) {
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = yaml();
    text.replace(text.find(from), from.size(), to);
    return errors(text);
  };
  EXPECT_TRUE(hasError(with("cert: shop-ec.pem", "cert: missing.pem"),
                       "2:27: certificates[0].cert: cannot read certificate file '" + dir_ +
                           "/missing.pem': No such file or directory"));
  EXPECT_TRUE(hasError(with("key: shop-ec.key", "key: shop-rsa.key"),
                       "2:45: certificates[0].key: key file '" + dir_ +
                           "/shop-rsa.key' does not match the certificate in '" + dir_ +
                           "/shop-ec.pem'"));
  EXPECT_TRUE(hasError(with("cert: shop-ec.pem, key: shop-ec.key", "cert: old.pem, key: old.key"),
                       "certificates[0].cert: certificate '" + dir_ + "/old.pem' has expired"));
  EXPECT_TRUE(hasError(with("[shop-ec, shop-rsa]", "[shop-ec, nope]"),
                       "vips[0].certificates[1]: no certificate is named 'nope'"));
  EXPECT_TRUE(
      hasError(with("    certificates: [shop-ec, shop-rsa]\n", ""),
               "vips[0].certificates: an https-offload VIP needs at least one certificate"));
}

TEST_F(OffloadConfig, KeysBelongToTheirServices) {
  EXPECT_TRUE(hasError(errors(yaml("    redirect_https: true\n")),
                       "vips[0].redirect_https: redirect_https applies to http VIPs, not to a "
                       "https-offload VIP"));
  EXPECT_TRUE(hasError(errors(yaml("", "    hsts: {max_age: 10}\n")),
                       "vips[1].hsts: hsts applies to https-offload and https-bridge VIPs"));
  EXPECT_TRUE(
      hasError(errors(yaml("", "    limits: {client_hello_max: 1KiB}\n")),
               "vips[1].limits.client_hello_max: limits.client_hello_max applies to "
               "https-passthrough, https-offload and https-bridge VIPs, not to a http VIP"));
  EXPECT_TRUE(
      hasError(errors(yaml("    forwarded_headers: {trusted_proxies: [10.0.0.0/40]}\n")),
               "vips[0].forwarded_headers.trusted_proxies[0]: '/40' is not a prefix length"));
  EXPECT_TRUE(hasError(errors(yaml("", "    redirect_https: {status: 305}\n")),
                       "vips[1].redirect_https.status: must be 301, 302, 303, 307 or 308"));
  EXPECT_TRUE(hasError(errors(yaml("    tls: {min_version: \"1.0\"}\n")),
                       "vips[0].tls: min_version '1.0' must be \"1.2\" or \"1.3\""));
  std::string tcpGroup = yaml();
  tcpGroup.replace(tcpGroup.find("protocol: http"), 14, "protocol: tcp");
  EXPECT_TRUE(hasError(errors(tcpGroup),
                       "vips[0].default_group: the https-offload VIP sends plain "
                       "HTTP and needs a group with protocol: http"));
}

TEST_F(OffloadConfig, BridgeGroupsSpeakVerifiedTls) {
  const std::string groups =
      "  - name: secure\n"
      "    protocol: https\n"
      "    tls:\n"
      "      ca: ca.pem\n"
      "      sni: App.Internal.Test\n"
      "      verify_name: 10.0.0.1\n"
      "      client_cert: {cert: shop-ec.pem, key: shop-ec.key}\n"
      "      min_version: \"1.3\"\n"
      "    servers: [{name: s1, address: 127.0.0.1:9443}]\n"
      "  - name: named\n"
      "    protocol: https\n"
      "    servers:\n"
      "      - {name: app1.internal.test, address: 127.0.0.1:9444}\n"
      "      - {name: w2, address: 127.0.0.2:9445}\n"
      "  - name: passing\n"
      "    protocol: https\n"
      "    tls: {sni: client}\n"
      "    servers: [{name: p1, address: 127.0.0.1:9446}]\n";
  std::string text = yaml();
  text.insert(text.find("vips:"), groups);
  text.replace(text.find("service: https-offload"), 22, "service: https-bridge");
  text.replace(text.find("default_group: web"), 18, "default_group: secure");
  ConfigLoadResult result = load(text);
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  EXPECT_TRUE(result.warnings.empty());
  const ServerGroupConfig& secure = result.snapshot->serverGroups[1];
  ASSERT_TRUE(secure.tlsContext);
  EXPECT_EQ(secure.tls.ca, dir_ + "/ca.pem");
  EXPECT_TRUE(secure.tls.clientCertificate);
  EXPECT_EQ(secure.servers[0].tlsSni, "app.internal.test");
  EXPECT_EQ(secure.servers[0].tlsVerifyName, "10.0.0.1");
  // By default a dotted server name is the SNI and the verified name; otherwise the address.
  const ServerGroupConfig& named = result.snapshot->serverGroups[2];
  EXPECT_EQ(named.servers[0].tlsSni, "app1.internal.test");
  EXPECT_EQ(named.servers[0].tlsVerifyName, "app1.internal.test");
  EXPECT_EQ(named.servers[1].tlsSni, "");
  EXPECT_EQ(named.servers[1].tlsVerifyName, "127.0.0.2");
  EXPECT_TRUE(result.snapshot->serverGroups[3].tls.sniFromClient);
  EXPECT_TRUE(result.snapshot->vips[0].isHttp());
  EXPECT_TRUE(result.snapshot->vips[0].terminatesTls());
  ASSERT_TRUE(result.snapshot->vips[0].tls);

  // Turning verification off is allowed, loudly.
  std::string unverified = text;
  unverified.replace(unverified.find("      ca: ca.pem\n"), 17, "      verify: false\n");
  result = load(unverified);
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("sluice.yaml:9: server_groups[1].tls.verify is false"),
            std::string::npos)
      << result.warnings[0];
}

TEST_F(OffloadConfig, BridgeTlsErrorsAreLocated) {
  auto with = [&](const std::string& tls, const std::string& protocol = "https") {
    std::string text = yaml();
    text.insert(text.find("vips:"), "  - name: secure\n    protocol: " + protocol + "\n" + tls +
                                        "    servers: [{name: s1, address: 127.0.0.1:9443}]\n");
    return errors(text);
  };
  EXPECT_TRUE(hasError(with("    tls: {ca: missing.pem}\n"),
                       "8:15: server_groups[1].tls.ca: cannot read '" + dir_ +
                           "/missing.pem': No such file or directory"));
  EXPECT_TRUE(hasError(with("    tls: {sni: \"bad name\"}\n"),
                       "8:16: server_groups[1].tls.sni: 'bad name' must be a host name, or "
                       "\"client\" to pass on the client's"));
  EXPECT_TRUE(hasError(with("    tls: {verify_name: \"-/-\"}\n"),
                       "server_groups[1].tls.verify_name: '-/-' must be a host name or an IP"));
  EXPECT_TRUE(hasError(with("    tls: {min_version: \"1.1\"}\n"),
                       "server_groups[1].tls.min_version: '1.1' must be \"1.2\" or \"1.3\""));
  EXPECT_TRUE(
      hasError(with("    tls: {client_cert: {cert: old.pem, key: old.key}}\n"),
               "server_groups[1].tls.client_cert: certificate '" + dir_ + "/old.pem' has expired"));
  EXPECT_TRUE(hasError(with("    tls: {verfy: false}\n"),
                       "server_groups[1].tls.verfy: unknown key 'verfy'"));
  EXPECT_TRUE(hasError(with("    tls: {verify: true}\n", "http"),
                       "server_groups[1].tls: applies to groups with protocol: https only"));
}

TEST_F(OffloadConfig, Http2ToServersIsForHttpAndHttpsGroups) {
  auto with = [&](const std::string& protocol, const std::string& http2) {
    std::string text = yaml();
    text.insert(text.find("vips:"), "  - name: api\n    protocol: " + protocol + "\n" + http2 +
                                        "    servers: [{name: s1, address: 127.0.0.1:9443}]\n");
    return text;
  };
  for (const char* protocol : {"http", "https"}) {
    const ConfigLoadResult result = load(with(protocol, "    http2: true\n"));
    ASSERT_TRUE(result.errors.empty()) << result.errors[0].message;
    EXPECT_TRUE(result.snapshot->serverGroups[1].http2);
    EXPECT_FALSE(load(with(protocol, "")).snapshot->serverGroups[1].http2);
  }
  EXPECT_TRUE(hasError(errors(with("tcp", "    http2: true\n")),
                       "8:12: server_groups[1].http2: applies to groups with protocol: http or "
                       "https only"));
  EXPECT_TRUE(hasError(errors(with("http", "    http2: yes\n")), "server_groups[1].http2"));
}

TEST_F(OffloadConfig, MixedListenerPassesNamedHostsThrough) {
  const std::string bank =
      "  - {name: bank, protocol: tcp, servers: [{name: b, address: 127.0.0.1:9}]}\n";
  auto text = [&](const std::string& route) {
    std::string t = yaml("    sni_routes:\n      - " + route +
                         "\n"
                         "    limits: {client_hello_max: 4KiB}\n    timeouts: {peek: 2s}\n");
    t.insert(t.find("vips:"), bank);
    return t;
  };
  ConfigLoadResult result = load(text("{sni: Bank.Example.Test, mode: passthrough, group: bank}"));
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const VipConfig& edge = result.snapshot->vips[0];
  EXPECT_TRUE(edge.mixesModes());
  EXPECT_FALSE(result.snapshot->vips[1].mixesModes());
  EXPECT_EQ(edge.sniRouter->route("bank.example.test"), 1u);
  EXPECT_EQ(edge.clientHelloMax, 4096u);

  EXPECT_TRUE(hasError(errors(text("{sni: bank.example.test, group: bank}")),
                       "vips[0].sni_routes[0].mode: is required on an https-offload VIP: add "
                       "mode: passthrough"));
  EXPECT_TRUE(hasError(errors(text("{sni: bank.example.test, mode: terminate, group: bank}")),
                       "vips[0].sni_routes[0].mode: 'terminate' is not a mode"));
  EXPECT_TRUE(hasError(errors(text("{sni: bank.example.test, mode: passthrough, group: web}")),
                       "vips[0].sni_routes[0].group: the https-offload VIP relays passed-through "
                       "names as bytes and needs a group with protocol: tcp, but 'web' has "
                       "protocol: http"));
}

TEST(ConfigLoader, AKeyGivenTwiceNamesBothLines) {
  const auto errors = errorsOf(
      "vips:\n"
      "  - name: v\n"
      "    listen: 127.0.0.1:1\n"
      "    service: tcp\n"
      "    listen: 127.0.0.1:2\n"
      "    default_group: g\n"
      "server_groups:\n  - {name: g, servers: [{name: s, address: 127.0.0.1:3, name: t}]}\n");
  ASSERT_EQ(errors.size(), 2u) << errors[0];
  EXPECT_NE(errors[0].find("vips[0].listen: is given twice: at line 3 and at line 5"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("server_groups[0].servers[0].name: is given twice"), std::string::npos)
      << errors[1];
}

TEST(ConfigLoader, ReportsEveryErrorAtOnce) {
  const std::string yaml =
      "global: {workers: x, drain_timeout: soon}\n"
      "server_groups:\n  - {name: g, retries: many, servers: [{name: s, address: nowhere}]}\n"
      "vips:\n  - {name: v, listen: here, service: tcp, default_group: h}\n";
  EXPECT_EQ(errorsOf(yaml).size(), 6u);
}

TEST(ConfigLoader, SyntaxErrorsAndEmptyFilesAreLocated) {
  EXPECT_TRUE(hasError(errorsOf("vips:\n  - name: [unclosed\n"), "YAML syntax error"));
  const auto errors = loadConfigText("", "empty.yaml").errors;
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].toString(), "empty.yaml: the config is empty");
  EXPECT_TRUE(hasError(errorsOf("vips: 3\n"), "1:7: vips: expected a list of VIPs"));
  EXPECT_TRUE(hasError(errorsOf("- a\n- b\n"), "expected a mapping"));
}

TEST(ConfigLoader, MissingFileIsNamed) {
  const auto result = loadConfigFile("/nonexistent/sluice.yaml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].toString(), "/nonexistent/sluice.yaml: cannot read the file");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(ConfigLoaderAdmin, TokensRolesHostsAndFilesAreRead) {
  const std::string hash(64, 'a');
  const ConfigLoadResult result = loadConfigText(
      "admin:\n  listen: 127.0.0.1:9901\n  tokens:\n    - {name: ops, role: admin, sha256: " +
          hash + "}\n    - {name: ro, role: read, sha256: " + hash +
          "}\n  allowed_hosts: [LB.Example.Com]\n  audit_log: audit.jsonl\n" + withLines(""),
      "/etc/sluice/sluice.yaml");
  ASSERT_TRUE(result.ok()) << result.errors[0].toString();
  const AdminConfig& admin = result.snapshot->admin;
  ASSERT_EQ(admin.tokens.size(), 2u);
  EXPECT_EQ(admin.tokens[0].role, AdminToken::Role::kAdmin);
  EXPECT_EQ(admin.tokens[1].role, AdminToken::Role::kRead);
  EXPECT_EQ(admin.tokens[0].sha256[0], 0xaa);
  EXPECT_EQ(admin.allowedHosts, std::vector<std::string>{"lb.example.com"});
  EXPECT_EQ(admin.auditLog, "/etc/sluice/audit.jsonl") << "relative to the config file";
  EXPECT_EQ(admin.stateFile, "/etc/sluice/sluice.state.json") << "beside the config by default";
}

TEST(ConfigLoaderAdmin, BadTokensAndAnOpenListenerWithoutTokensAreErrors) {
  EXPECT_TRUE(hasError(
      errorsOf("admin:\n  tokens: [{name: ops, role: root, sha256: abc}]\n" + withLines("")),
      "admin.tokens[0].role: 'root' is not one of"));
  EXPECT_TRUE(hasError(
      errorsOf("admin:\n  tokens: [{name: ops, role: admin, sha256: abc}]\n" + withLines("")),
      "admin.tokens[0].sha256: must be the token's SHA-256 as 64 hex digits"));
  EXPECT_TRUE(hasError(errorsOf("admin: {listen: 0.0.0.0:9900}\n" + withLines("")),
                       "admin.listen: 0.0.0.0:9900 is reachable from other hosts: the admin API "
                       "needs admin.tokens there"));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(ConfigLoader, Http2KeysAreReadAndChecked) {
  const std::string http =
      "server_groups:\n  - {name: g, protocol: http, servers: [{name: s, address: "
      "127.0.0.1:9001}]}\n"
      "vips:\n  - name: v\n    listen: 127.0.0.1:8000\n    service: http\n    default_group: g\n";
  const ConfigLoadResult ok =
      loadConfigText(http +
                         "    http2: {h2c: true, max_concurrent_streams: 50, max_header_list: "
                         "32KiB, stream_window: 1MiB, connection_window: 4MiB, max_glitches: "
                         "200}\n",
                     "t.yaml");
  ASSERT_TRUE(ok.ok()) << ok.errors[0].toString();
  const Http2Config& h2 = ok.snapshot->vips[0].http2;
  EXPECT_TRUE(h2.h2c);
  EXPECT_EQ(h2.maxConcurrentStreams, 50u);
  EXPECT_EQ(h2.maxHeaderList, 32u * 1024);
  EXPECT_EQ(h2.streamWindow, 1u << 20);
  EXPECT_EQ(h2.connectionWindow, 4u << 20);
  EXPECT_EQ(h2.maxGlitches, 200u);
  // Defaults: the anchors' (100 streams, 64 KiB of fields).
  const Http2Config defaults;
  EXPECT_EQ(defaults.maxConcurrentStreams, 100u);
  EXPECT_EQ(defaults.maxHeaderList, 64u * 1024);
  EXPECT_FALSE(defaults.h2c);
  EXPECT_TRUE(hasError(errorsOf(http + "    http2: {max_concurrent_streams: 0}\n"),
                       "8:37: vips[0].http2.max_concurrent_streams"));
  EXPECT_TRUE(hasError(errorsOf(http + "    http2: {windows: 1}\n"), "vips[0].http2"));
  EXPECT_TRUE(hasError(errorsOf(withLines("    protocol: tcp\n", "    http2: {h2c: true}\n")),
                       "vips[0].http2: http2 applies to http, https-offload and https-bridge"));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST_F(OffloadConfig, AlpnNamesOnlyProtocolsSluiceSpeaks) {
  const ConfigLoadResult result = load(yaml("    tls: {alpn: [h2, spdy/3]}\n", ""));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.errors[0].toString().find(
                "vips[0].tls.alpn: Sluice speaks h2, http/1.1 and http/1.0; got \"spdy/3\""),
            std::string::npos)
      << result.errors[0].toString();
  const ConfigLoadResult byDefault = load(yaml("", ""));
  ASSERT_TRUE(byDefault.ok()) << byDefault.errors[0].toString();
  EXPECT_EQ(byDefault.snapshot->vips[0].tlsSettings.alpn,
            (std::vector<std::string>{"h2", "http/1.1"}));
}

}  // namespace
}  // namespace sluice
