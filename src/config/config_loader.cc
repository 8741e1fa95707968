#include "config/config_loader.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "config/cluster_reader.h"
#include "config/rules_reader.h"
#include "config/yaml_reader.h"
#include "core/units.h"
#include "http/proxy/sticky_cookie.h"
#include "tls/host_name.h"

namespace sluice {

std::string ConfigError::toString() const {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line) + ":" + std::to_string(column);
  text += ": ";
  if (!field.empty()) text += field + ": ";
  return text + message;
}

namespace {

constexpr Names<ServiceType> kServiceNames = {
    {"tcp", ServiceType::kTcp},
    {"http", ServiceType::kHttp},
    {"https-passthrough", ServiceType::kHttpsPassthrough},
    {"https-offload", ServiceType::kHttpsOffload},
    {"https-bridge", ServiceType::kHttpsBridge},
};
constexpr Names<BackendProtocol> kProtocolNames = {
    {"tcp", BackendProtocol::kTcp},
    {"http", BackendProtocol::kHttp},
    {"https", BackendProtocol::kHttps},
};
constexpr Names<BalanceAlgorithm> kBalanceNames = {
    {"round_robin", BalanceAlgorithm::kRoundRobin}, {"least_conn", BalanceAlgorithm::kLeastConn},
    {"source_hash", BalanceAlgorithm::kSourceHash}, {"random_two", BalanceAlgorithm::kRandomTwo},
    {"uri_hash", BalanceAlgorithm::kUriHash},
};

constexpr Names<ProxyProtocol> kProxyProtocolNames = {
    {"off", ProxyProtocol::kOff},
    {"v1", ProxyProtocol::kV1},
    {"v2", ProxyProtocol::kV2},
};
constexpr Names<NoSniPolicy> kNoSniNames = {
    {"default", NoSniPolicy::kDefault},
    {"reject", NoSniPolicy::kReject},
};

constexpr uint32_t kMaxRetries = 100;
constexpr unsigned kMaxWorkers = 256;

bool validName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

void readName(Reader& r, const YAML::Node& node, const std::string& field, std::string& out) {
  auto name = r.readString(node, field, "name", true);
  if (!name) return;
  if (!validName(*name)) {
    r.error(node["name"], Reader::join(field, "name"),
            "'" + *name + "' must be 1 to 64 letters, digits, '-', '_' or '.'");
    return;
  }
  out = *name;
}

void readGlobal(Reader& r, const YAML::Node& node, GlobalConfig& global) {
  const std::string field = "global";
  if (!r.expectMap(node, field,
                   {"workers", "drain_timeout", "drain_spread", "access_log", "max_connections",
                    "listen_backlog", "pipe_size", "sticky_secret", "sticky_previous_secret"})) {
    return;
  }
  if (auto workers = r.readString(node, field, "workers", false); workers && *workers != "auto") {
    r.readUint<unsigned>(node, field, "workers", 1, kMaxWorkers, global.workers);
  }
  r.readDuration(node, field, "drain_timeout", global.drainTimeout);
  r.readDuration(node, field, "drain_spread", global.drainSpread);
  if (auto log = r.readString(node, field, "access_log", false)) {
    if (log->empty()) {
      r.error(node["access_log"], "global.access_log", "must be stdout, off or a file path");
    } else {
      global.accessLog = *log;
    }
  }
  r.readUint<uint64_t>(node, field, "max_connections", 1, 10'000'000, global.maxConnections);
  r.readUint<int>(node, field, "listen_backlog", 1, 65535, global.listenBacklog);
  if (auto secret = r.readString(node, field, "sticky_secret", false)) {
    if (secret->size() < 16) {
      r.error(node["sticky_secret"], "global.sticky_secret",
              "is too short to sign cookies: use at least 16 characters (32 random ones is good)");
    }
    global.stickySecret = *secret;
  }
  if (auto previous = r.readString(node, field, "sticky_previous_secret", false)) {
    if (previous->size() < 16) {
      r.error(node["sticky_previous_secret"], "global.sticky_previous_secret",
              "is too short to be a sticky secret: at least 16 characters");
    }
    global.stickyPreviousSecret = *previous;
  }
  if (auto text = r.readString(node, field, "pipe_size", false)) {
    auto size = parseSize(*text);
    if (!size || *size < 4096 || *size > (1u << 30)) {
      r.error(node["pipe_size"], "global.pipe_size",
              "'" + *text + "' must be a size from 4KiB to 1GiB, e.g. 1MiB");
    } else {
      global.pipeSize = *size;
    }
  }
}

bool parseSha256Hex(const std::string& text, std::array<unsigned char, 32>& out) {
  if (text.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    unsigned value = 0;
    for (size_t j = 0; j < 2; ++j) {
      const char c = text[i * 2 + j];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return false;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    out[i] = static_cast<unsigned char>(value);
  }
  return true;
}

constexpr Names<AdminToken::Role> kRoles = {{"read", AdminToken::Role::kRead},
                                            {"admin", AdminToken::Role::kAdmin}};

void readAdmin(Reader& r, const YAML::Node& node, const std::string& directory,
               AdminConfig& admin) {
  admin.enabled = true;
  if (node.IsNull()) return;  // `admin:` alone: on, on the default address
  if (!r.expectMap(node, "admin",
                   {"listen", "tokens", "allowed_hosts", "audit_log", "state_file", "tls"})) {
    return;
  }
  if (node["listen"].IsDefined()) r.readAddress(node, "admin", "listen", admin.listen);
  const std::string ip = admin.listen.ipString();
  const bool loopback = ip.rfind("127.", 0) == 0 || ip == "::1";
  if (const YAML::Node tokens = node["tokens"]; tokens.IsDefined()) {
    if (!tokens.IsSequence()) {
      r.error(tokens, "admin.tokens", "expected a list of {name, role, sha256}");
    } else {
      std::set<std::string> names;
      for (size_t i = 0; i < tokens.size(); ++i) {
        const std::string field = Reader::index("admin.tokens", i);
        if (!r.expectMap(tokens[i], field, {"name", "role", "sha256"})) continue;
        AdminToken token;
        readName(r, tokens[i], field, token.name);
        if (!names.insert(token.name).second) {
          r.error(tokens[i]["name"], field + ".name",
                  "'" + token.name + "' is already a token's name");
        }
        r.readEnum(tokens[i], field, "role", kRoles, token.role);
        if (auto hash = r.readString(tokens[i], field, "sha256", true);
            hash && !parseSha256Hex(*hash, token.sha256)) {
          r.error(tokens[i]["sha256"], field + ".sha256",
                  "must be the token's SHA-256 as 64 hex digits (`sluice token` prints it)");
        }
        admin.tokens.push_back(token);
      }
    }
  }
  if (const YAML::Node hosts = node["allowed_hosts"]; hosts.IsDefined()) {
    if (!hosts.IsSequence()) {
      r.error(hosts, "admin.allowed_hosts", "expected a list of host names");
    } else {
      for (const auto& host : hosts) {
        std::string name = host.Scalar();
        for (char& c : name)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        admin.allowedHosts.push_back(name);
      }
    }
  }
  auto resolve = [&](const std::string& path) {
    return path.empty() || path.front() == '/' || directory.empty() ? path : directory + "/" + path;
  };
  if (auto audit = r.readString(node, "admin", "audit_log", false))
    admin.auditLog = resolve(*audit);
  if (auto state = r.readString(node, "admin", "state_file", false))
    admin.stateFile = resolve(*state);
  if (const YAML::Node tls = node["tls"]; tls.IsDefined()) {
    if (r.expectMap(tls, "admin.tls", {"certificate"})) {
      if (auto name = r.readString(tls, "admin.tls", "certificate", true)) {
        admin.tlsCertificateName = *name;
      }
    }
  }
  if (!loopback && admin.tokens.empty()) {
    r.error(node["listen"], "admin.listen",
            admin.listen.toString() +
                " is reachable from other hosts: the admin API needs "
                "admin.tokens there (`sluice token` makes one)");
  }
}

// admin.tls names an entry of `certificates:`. Without it, a listener other hosts can reach
// carries tokens in clear: allowed (TLS may end in front of it), but said.
void resolveAdminTls(Reader& r, const YAML::Node& node, ConfigSnapshot& config) {
  AdminConfig& admin = config.admin;
  const std::string ip = admin.listen.ipString();
  const bool loopback = ip.rfind("127.", 0) == 0 || ip == "::1";
  if (admin.enabled && !loopback && admin.tlsCertificateName.empty()) {
    const YAML::Mark mark = node["listen"].Mark();
    r.warnings().push_back(r.file() + ":" + std::to_string(mark.line + 1) + ": admin.listen " +
                           admin.listen.toString() +
                           " is reachable from other hosts without admin.tls: tokens cross the "
                           "network in clear");
  }
  if (admin.tlsCertificateName.empty()) return;
  for (const CertificateConfig& certificate : config.certificates) {
    if (certificate.name != admin.tlsCertificateName) continue;
    admin.tls = certificate.loaded;  // none: its own error is reported already
    return;
  }
  r.error(node["tls"]["certificate"], "admin.tls.certificate",
          "no certificate is named '" + admin.tlsCertificateName + "'");
}

void readServer(Reader& r, const YAML::Node& node, const std::string& field, ServerConfig& server) {
  if (!r.expectMap(node, field, {"name", "address", "weight", "backup", "drain"})) return;
  readName(r, node, field, server.name);
  r.readAddress(node, field, "address", server.address);
  r.readUint<uint32_t>(node, field, "weight", 1, kMaxWeight, server.weight);
  r.readBool(node, field, "backup", server.backup);
  r.readBool(node, field, "drain", server.drain);
}

constexpr Names<HealthCheckConfig::Type> kHealthTypes = {
    {"tcp", HealthCheckConfig::Type::kTcp},
    {"http", HealthCheckConfig::Type::kHttp},
    {"https", HealthCheckConfig::Type::kHttps},
    {"tls", HealthCheckConfig::Type::kTls},
};

// `health:` active checks.
void readHealth(Reader& r, const YAML::Node& node, const std::string& field,
                HealthCheckConfig& health) {
  if (!r.expectMap(
          node, field,
          {"type", "path", "host", "expect", "interval", "timeout", "rise", "fall", "jitter"})) {
    return;
  }
  health.type = HealthCheckConfig::Type::kTcp;
  r.readEnum(node, field, "type", kHealthTypes, health.type);
  const bool http = health.type == HealthCheckConfig::Type::kHttp ||
                    health.type == HealthCheckConfig::Type::kHttps;
  for (const char* key : {"path", "host", "expect"}) {
    if (node[key].IsDefined() && !http) {
      r.error(node[key], Reader::join(field, key), "applies to http and https checks only");
    }
  }
  if (auto path = r.readString(node, field, "path", false)) {
    if (path->empty() || path->front() != '/' ||
        path->find_first_of(" \r\n") != std::string::npos) {
      r.error(node["path"], field + ".path", "'" + *path + "' must be a path starting with /");
    }
    health.path = *path;
  }
  if (auto host = r.readString(node, field, "host", false)) health.host = *host;
  if (const YAML::Node expect = node["expect"]; expect.IsDefined()) {
    const std::string efield = Reader::join(field, "expect");
    if (r.expectMap(expect, efield, {"status", "body_contains"})) {
      if (auto status = r.readString(expect, efield, "status", false)) {
        unsigned lo = 0, hi = 0;
        char extra = 0;
        const int n = std::sscanf(status->c_str(), "%u-%u%c", &lo, &hi, &extra);
        if (n == 1) hi = lo;
        if ((n != 1 && n != 2) || lo < 100 || hi > 599 || lo > hi) {
          r.error(expect["status"], efield + ".status",
                  "'" + *status + "' must be a status or a range like 200-399");
        } else {
          health.statusMin = lo;
          health.statusMax = hi;
        }
      }
      if (auto body = r.readString(expect, efield, "body_contains", false)) {
        health.bodyContains = *body;
      }
    }
  }
  r.readDuration(node, field, "interval", health.interval);
  r.readDuration(node, field, "timeout", health.timeout);
  if (health.interval < Millis(100))
    r.error(node["interval"], field + ".interval", "must be 100ms or more");
  if (health.timeout.count() == 0 || health.timeout > health.interval) {
    r.error(node["timeout"].IsDefined() ? node["timeout"] : node, field + ".timeout",
            "must be above 0 and at most the interval");
  }
  r.readUint<uint32_t>(node, field, "rise", 1, 100, health.rise);
  r.readUint<uint32_t>(node, field, "fall", 1, 100, health.fall);
  if (auto jitter = r.readString(node, field, "jitter", false)) {
    unsigned percent = 0;
    char sign = 0, extra = 0;
    if (std::sscanf(jitter->c_str(), "%u%c%c", &percent, &sign, &extra) != 2 || sign != '%' ||
        percent > 50) {
      r.error(node["jitter"], field + ".jitter",
              "'" + *jitter + "' must be a percentage from 0% to 50%");
    } else {
      health.jitterPercent = percent;
    }
  }
}

std::string resolvePath(const std::string& directory, const std::string& path) {
  return path.empty() || path.front() == '/' || directory.empty() ? path : directory + "/" + path;
}

// A group's `tls:` keys: how Sluice speaks TLS to its servers (protocol: https).
void readBackendTls(Reader& r, const YAML::Node& tls, const std::string& field,
                    const std::string& directory, BackendTlsSettings& settings) {
  if (!r.expectMap(tls, field,
                   {"verify", "ca", "sni", "verify_name", "client_cert", "min_version"})) {
    return;
  }
  r.readBool(tls, field, "verify", settings.verify);
  if (tls["verify"].IsDefined() && !settings.verify) {
    const YAML::Mark mark = tls["verify"].Mark();
    r.warnings().push_back(r.file() + ":" + std::to_string(mark.line + 1) + ": " + field +
                           ".verify is false: the servers' certificates are not checked, so "
                           "anyone on the path to them can read and change the traffic");
  }
  if (auto ca = r.readString(tls, field, "ca", false)) {
    settings.ca = resolvePath(directory, *ca);
    if (std::ifstream probe(settings.ca); !probe) {
      r.error(tls["ca"], field + ".ca",
              "cannot read '" + settings.ca + "': " + std::strerror(errno));
      settings.ca.clear();
    }
  }
  if (auto sni = r.readString(tls, field, "sni", false)) {
    if (*sni == "client") {
      settings.sniFromClient = true;
    } else if (!normaliseHostName(*sni, settings.sni)) {
      r.error(tls["sni"], field + ".sni",
              "'" + *sni + "' must be a host name, or \"client\" to pass on the client's");
    }
  }
  if (auto name = r.readString(tls, field, "verify_name", false)) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, name->c_str(), ip) == 1 || inet_pton(AF_INET6, name->c_str(), ip) == 1) {
      settings.verifyName = *name;
    } else if (!normaliseHostName(*name, settings.verifyName)) {
      r.error(tls["verify_name"], field + ".verify_name",
              "'" + *name + "' must be a host name or an IP address");
    }
  }
  if (const YAML::Node client = tls["client_cert"]; client.IsDefined()) {
    const std::string cfield = Reader::join(field, "client_cert");
    if (r.expectMap(client, cfield, {"cert", "key"})) {
      auto cert = r.readString(client, cfield, "cert", true);
      auto key = r.readString(client, cfield, "key", true);
      if (cert && key) {
        std::string error;
        auto loaded = loadCertificate("client_cert", resolvePath(directory, *cert),
                                      resolvePath(directory, *key), error);
        if (loaded) {
          settings.clientCertificate = std::make_shared<const Certificate>(std::move(*loaded));
        } else {
          r.error(client, cfield, error);
        }
      }
    }
  }
  if (auto version = r.readString(tls, field, "min_version", false)) {
    if (*version != "1.2" && *version != "1.3") {
      r.error(tls["min_version"], field + ".min_version",
              "'" + *version + "' must be \"1.2\" or \"1.3\"");
    } else {
      settings.minVersion = *version;
    }
  }
}

// protocol: https: the TLS context, and what each server is called on the wire.
void prepareBackendTls(Reader& r, const YAML::Node& node, const std::string& field,
                       ServerGroupConfig& group) {
  // By default a server is reached by its name: `name: app1.internal.test` is the SNI sent
  // and the name verified; a server whose name is not a dotted host name (w1, web_2) gets no
  // SNI and is verified by its IP address.
  for (ServerConfig& server : group.servers) {
    std::string hostName;
    const bool named =
        normaliseHostName(server.name, hostName) && hostName.find('.') != std::string::npos;
    server.tlsSni = !group.tls.sni.empty() ? group.tls.sni : named ? hostName : "";
    server.tlsVerifyName = !group.tls.verifyName.empty() ? group.tls.verifyName
                           : !server.tlsSni.empty()      ? server.tlsSni
                                                         : server.address.ipString();
  }
  std::string error;
  group.tlsContext = TlsClientContext::create(group.tls, error);
  if (!group.tlsContext) {
    r.error(node["tls"].IsDefined() ? node["tls"] : node, Reader::join(field, "tls"), error);
  }
}

// `balance: NAME`, or `balance: {header_hash: {name: HEADER}}`.
void readBalance(Reader& r, const YAML::Node& node, const std::string& field,
                 ServerGroupConfig& group) {
  const YAML::Node balance = node["balance"];
  if (!balance.IsDefined() || !balance.IsMap()) {
    r.readEnum(node, field, "balance", kBalanceNames, group.balance);
    return;
  }
  const std::string bfield = Reader::join(field, "balance");
  if (!r.expectMap(balance, bfield, {"header_hash"})) return;
  const std::string hfield = Reader::join(bfield, "header_hash");
  if (r.expectMap(balance["header_hash"], hfield, {"name"})) {
    if (auto name = r.readString(balance["header_hash"], hfield, "name", true)) {
      group.balance = BalanceAlgorithm::kHeaderHash;
      group.hashHeader = *name;
    }
  }
}

// The process's sticky-cookie key when the config sets none: random, made once.
const std::string& processStickySecret() {
  static const std::string secret = [] {
    unsigned char bytes[32];
    RAND_bytes(bytes, sizeof bytes);
    return std::string(reinterpret_cast<char*>(bytes), sizeof bytes);
  }();
  return secret;
}

// `sticky: {cookie: {name, max_age, secure, http_only, same_site}}`.
void readSticky(Reader& r, const YAML::Node& node, const std::string& field,
                ServerGroupConfig& group) {
  if (!r.expectMap(node, field, {"cookie"})) return;
  const YAML::Node cookie = node["cookie"];
  const std::string cfield = Reader::join(field, "cookie");
  if (!cookie.IsDefined()) {
    r.error(node, cfield, "is required");
    return;
  }
  if (!r.expectMap(cookie, cfield, {"name", "max_age", "secure", "http_only", "same_site"})) return;
  StickyCookieConfig& sticky = group.sticky;
  sticky.enabled = true;
  if (auto name = r.readString(cookie, cfield, "name", false)) {
    if (!StickyCookie::validName(*name)) {
      r.error(cookie["name"], cfield + ".name", "'" + *name + "' is not a cookie name");
    }
    sticky.name = *name;
  }
  Millis maxAge{0};
  r.readDuration(cookie, cfield, "max_age", maxAge);
  sticky.maxAgeSeconds = static_cast<uint64_t>(maxAge.count() / 1000);
  if (auto secure = r.readString(cookie, cfield, "secure", false)) {
    if (*secure == "auto") {
      sticky.secure = StickyCookieConfig::Secure::kAuto;
    } else if (*secure == "true") {
      sticky.secure = StickyCookieConfig::Secure::kAlways;
    } else if (*secure == "false") {
      sticky.secure = StickyCookieConfig::Secure::kNever;
    } else {
      r.error(cookie["secure"], cfield + ".secure", "must be auto, true or false");
    }
  }
  r.readBool(cookie, cfield, "http_only", sticky.httpOnly);
  if (auto sameSite = r.readString(cookie, cfield, "same_site", false)) {
    if (*sameSite != "Lax" && *sameSite != "Strict" && *sameSite != "None" && *sameSite != "off") {
      r.error(cookie["same_site"], cfield + ".same_site", "must be Lax, Strict, None or off");
    }
    sticky.sameSite = *sameSite == "off" ? "" : *sameSite;
  }
}

void readGroup(Reader& r, const YAML::Node& node, const std::string& field,
               const std::string& directory, ServerGroupConfig& group) {
  if (!r.expectMap(
          node, field,
          {"name", "protocol", "balance", "retries", "timeouts", "proxy_protocol", "tls", "sticky",
           "health", "passive", "slow_start", "max_connections", "servers", "http2"})) {
    return;
  }
  readName(r, node, field, group.name);
  r.readEnum(node, field, "protocol", kProtocolNames, group.protocol);
  readBalance(r, node, field, group);
  r.readUint<uint32_t>(node, field, "retries", 0, kMaxRetries, group.retries);
  r.readEnum(node, field, "proxy_protocol", kProxyProtocolNames, group.proxyProtocol);
  if (const YAML::Node tls = node["tls"]; tls.IsDefined()) {
    if (group.protocol != BackendProtocol::kHttps) {
      r.error(tls, Reader::join(field, "tls"), "applies to groups with protocol: https only");
    } else {
      readBackendTls(r, tls, Reader::join(field, "tls"), directory, group.tls);
    }
  }
  if (const YAML::Node timeouts = node["timeouts"]; timeouts.IsDefined()) {
    const std::string tfield = Reader::join(field, "timeouts");
    if (r.expectMap(timeouts, tfield, {"connect", "idle", "queue"})) {
      r.readDuration(timeouts, tfield, "connect", group.connectTimeout);
      r.readDuration(timeouts, tfield, "idle", group.idleTimeout);
      r.readDuration(timeouts, tfield, "queue", group.queueTimeout);
      if (group.connectTimeout.count() == 0)
        r.error(timeouts["connect"], tfield + ".connect", "must be above 0");
      if (group.idleTimeout.count() == 0)
        r.error(timeouts["idle"], tfield + ".idle", "must be above 0");
    }
  }
  const YAML::Node servers = node["servers"];
  const std::string sfield = Reader::join(field, "servers");
  if (!servers.IsDefined() || !servers.IsSequence() || servers.size() == 0) {
    r.error(servers.IsDefined() ? servers : node, sfield, "needs a list of at least one server");
    return;
  }
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < servers.size(); ++i) {
    ServerConfig& server = group.servers.emplace_back();
    readServer(r, servers[i], Reader::index(sfield, i), server);
    if (server.name.empty()) continue;
    if (auto [it, fresh] = seen.emplace(server.name, i); !fresh) {
      r.error(servers[i]["name"], Reader::index(sfield, i) + ".name",
              "'" + server.name + "' is already the name of " + Reader::index(sfield, it->second));
    }
  }
  if (std::all_of(group.servers.begin(), group.servers.end(),
                  [](const ServerConfig& s) { return s.backup; })) {
    r.error(servers, sfield, "every server is a backup: at least one must be a primary");
  }
  if (group.protocol == BackendProtocol::kHttps) prepareBackendTls(r, node, field, group);
  if (const YAML::Node health = node["health"]; health.IsDefined()) {
    readHealth(r, health, Reader::join(field, "health"), group.health);
  }
  if (const YAML::Node passive = node["passive"]; passive.IsDefined()) {
    const std::string pfield = Reader::join(field, "passive");
    if (r.expectMap(passive, pfield, {"consecutive_failures", "ejection"})) {
      group.passive.consecutiveFailures = 5;
      r.readUint<uint32_t>(passive, pfield, "consecutive_failures", 1, 1000,
                           group.passive.consecutiveFailures);
      r.readDuration(passive, pfield, "ejection", group.passive.ejection);
    }
  }
  r.readDuration(node, field, "slow_start", group.slowStart);
  r.readUint<uint32_t>(node, field, "max_connections", 1, 10'000'000, group.maxConnections);
  if (const YAML::Node sticky = node["sticky"]; sticky.IsDefined()) {
    readSticky(r, sticky, Reader::join(field, "sticky"), group);
  }
  r.readBool(node, field, "http2", group.http2);
  if (group.http2 && group.protocol == BackendProtocol::kTcp) {
    r.error(node["http2"], Reader::join(field, "http2"),
            "applies to groups with protocol: http or https only");
  }
  const bool layer7 = group.balance == BalanceAlgorithm::kUriHash ||
                      group.balance == BalanceAlgorithm::kHeaderHash || group.sticky.enabled;
  if (layer7 && group.protocol == BackendProtocol::kTcp) {
    r.error(node["sticky"].IsDefined() ? node["sticky"] : node["balance"], field,
            "uri_hash, header_hash and sticky cookies need requests: protocol http or https");
  }
}

void readSniRoutes(Reader& r, const YAML::Node& node, const std::string& field, VipConfig& vip) {
  const YAML::Node routes = node["sni_routes"];
  if (!routes.IsDefined()) return;
  const std::string rfield = Reader::join(field, "sni_routes");
  if (!routes.IsSequence()) {
    r.error(routes, rfield, "expected a list of {sni, group} entries");
    return;
  }
  for (size_t i = 0; i < routes.size(); ++i) {
    const std::string efield = Reader::index(rfield, i);
    SniRoute& route = vip.sniRoutes.emplace_back();
    if (!r.expectMap(routes[i], efield, {"sni", "group", "mode"})) continue;
    if (auto sni = r.readString(routes[i], efield, "sni", true)) {
      if (!SniRouter::parsePattern(*sni, route.sni)) {
        r.error(routes[i]["sni"], efield + ".sni",
                "'" + *sni + "' is neither a host name nor a wildcard like *.example.com");
      }
    }
    if (auto group = r.readString(routes[i], efield, "group", true)) route.group = *group;
    // A terminating VIP serves its own names; an entry there is a name it passes through, and
    // says so, so that nobody reads it as a layer-7 route.
    auto mode = r.readString(routes[i], efield, "mode", false);
    if (mode && *mode != "passthrough") {
      r.error(routes[i]["mode"], efield + ".mode",
              "'" + *mode +
                  "' is not a mode; sni_routes entries pass names through (mode: "
                  "passthrough); terminated names are served by the VIP itself");
    } else if (!mode && vip.terminatesTls()) {
      r.error(routes[i], efield + ".mode",
              std::string("is required on an ") + toString(vip.service) +
                  " VIP: add mode: passthrough to relay this name untouched");
    }
  }
}

// certificates, tls and hsts: how an https-offload VIP terminates TLS.
void readTermination(Reader& r, const YAML::Node& node, const std::string& field, VipConfig& vip) {
  if (const YAML::Node list = node["certificates"]; list.IsDefined()) {
    if (!list.IsSequence() || list.size() == 0) {
      r.error(list, field + ".certificates", "expected a list of certificate names");
    } else {
      for (const auto& item : list) {
        if (item.IsScalar()) {
          vip.certificates.push_back(item.Scalar());
        } else {
          r.error(item, field + ".certificates", "expected a certificate name");
        }
      }
    }
  }
  if (const YAML::Node tls = node["tls"]; tls.IsDefined()) {
    const std::string tfield = Reader::join(field, "tls");
    if (r.expectMap(tls, tfield, {"min_version", "ciphers", "ciphersuites", "alpn"})) {
      TlsSettings& settings = vip.tlsSettings;
      if (auto v = r.readString(tls, tfield, "min_version", false)) settings.minVersion = *v;
      if (auto v = r.readString(tls, tfield, "ciphers", false)) settings.ciphers = *v;
      if (auto v = r.readString(tls, tfield, "ciphersuites", false)) settings.ciphersuites = *v;
      if (const YAML::Node alpn = tls["alpn"]; alpn.IsDefined()) {
        settings.alpn.clear();
        if (!alpn.IsSequence()) {
          r.error(alpn, tfield + ".alpn", "expected a list of protocol names, e.g. [http/1.1]");
        } else {
          for (const auto& protocol : alpn) {
            const std::string name = protocol.IsScalar() ? protocol.Scalar() : "";
            if (name != "h2" && name != "http/1.1" && name != "http/1.0") {
              r.error(protocol, tfield + ".alpn",
                      "Sluice speaks h2, http/1.1 and http/1.0; got \"" + name + "\"");
            }
            settings.alpn.push_back(name);
          }
        }
      }
    }
  }
  if (const YAML::Node hsts = node["hsts"]; hsts.IsDefined()) {
    const std::string hfield = Reader::join(field, "hsts");
    if (r.expectMap(hsts, hfield, {"max_age", "include_subdomains"})) {
      vip.hsts.enabled = true;
      r.readUint<uint64_t>(hsts, hfield, "max_age", 0, 10ull * 365 * 86400, vip.hsts.maxAge);
      r.readBool(hsts, hfield, "include_subdomains", vip.hsts.includeSubdomains);
      vip.hstsValue = "max-age=" + std::to_string(vip.hsts.maxAge) +
                      (vip.hsts.includeSubdomains ? "; includeSubDomains" : "");
    }
  }
}

// redirect_https and forwarded_headers: the HTTP proxy's options.
void readHttpOptions(Reader& r, const YAML::Node& node, const std::string& field, VipConfig& vip) {
  if (const YAML::Node redirect = node["redirect_https"]; redirect.IsDefined()) {
    const std::string rfield = Reader::join(field, "redirect_https");
    if (redirect.IsScalar()) {
      r.readBool(node, field, "redirect_https", vip.redirectHttps.enabled);
    } else if (r.expectMap(redirect, rfield, {"port", "status"})) {
      vip.redirectHttps.enabled = true;
      r.readUint<uint16_t>(redirect, rfield, "port", 1, 65535, vip.redirectHttps.port);
      r.readUint<int>(redirect, rfield, "status", 301, 308, vip.redirectHttps.status);
      const int status = vip.redirectHttps.status;
      if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        r.error(redirect["status"], rfield + ".status", "must be 301, 302, 303, 307 or 308");
      }
    }
  }
  if (const YAML::Node forwarded = node["forwarded_headers"]; forwarded.IsDefined()) {
    const std::string ffield = Reader::join(field, "forwarded_headers");
    if (r.expectMap(forwarded, ffield, {"trusted_proxies", "rfc7239"})) {
      r.readBool(forwarded, ffield, "rfc7239", vip.forwarded.rfc7239);
      if (const YAML::Node proxies = forwarded["trusted_proxies"]; proxies.IsDefined()) {
        if (!proxies.IsSequence()) {
          r.error(proxies, ffield + ".trusted_proxies", "expected a list of networks (CIDR)");
        } else {
          for (size_t i = 0; i < proxies.size(); ++i) {
            std::string why;
            if (!vip.forwarded.trustedProxies.add(proxies[i].Scalar(), &why)) {
              r.error(proxies[i], Reader::index(ffield + ".trusted_proxies", i), why);
            }
          }
        }
      }
    }
  }
}

void readVip(Reader& r, const YAML::Node& node, const std::string& field, VipConfig& vip) {
  if (!r.expectMap(node, field,
                   {"name", "listen", "service", "active", "default_group", "sni_routes", "no_sni",
                    "limits", "timeouts", "certificates", "tls", "hsts", "redirect_https",
                    "forwarded_headers", "rules", "path_normalization", "http2"})) {
    return;
  }
  readName(r, node, field, vip.name);
  r.readAddress(node, field, "listen", vip.listen);
  vip.request.defaultHost = vip.listen.toString();
  if (!node["service"].IsDefined()) r.error(node, field + ".service", "is required");
  r.readEnum(node, field, "service", kServiceNames, vip.service);
  r.readBool(node, field, "active", vip.active);
  if (auto group = r.readString(node, field, "default_group", false)) vip.defaultGroup = *group;
  readSniRoutes(r, node, field, vip);
  r.readEnum(node, field, "no_sni", kNoSniNames, vip.noSni);
  if (const YAML::Node limits = node["limits"]; limits.IsDefined()) {
    const std::string lfield = Reader::join(field, "limits");
    if (r.expectMap(limits, lfield,
                    {"client_hello_max", "max_header_bytes", "max_headers", "max_body"})) {
      r.readSize(limits, lfield, "client_hello_max", 512, 1 << 20, vip.clientHelloMax);
      r.readSize(limits, lfield, "max_header_bytes", 1024, 1 << 20, vip.request.maxHeaderBytes);
      r.readUint(limits, lfield, "max_headers", size_t{1}, size_t{10000}, vip.request.maxHeaders);
      size_t maxBody = static_cast<size_t>(vip.request.maxBody);
      r.readSize(limits, lfield, "max_body", 0, uint64_t{1} << 40, maxBody);
      vip.request.maxBody = maxBody;
    }
  }
  if (const YAML::Node timeouts = node["timeouts"]; timeouts.IsDefined()) {
    const std::string tfield = Reader::join(field, "timeouts");
    if (r.expectMap(timeouts, tfield,
                    {"peek", "client_header", "client_body", "server_response", "keep_alive"})) {
      const std::pair<const char*, Millis*> durations[] = {
          {"peek", &vip.peekTimeout},
          {"client_header", &vip.clientHeaderTimeout},
          {"client_body", &vip.clientBodyTimeout},
          {"server_response", &vip.serverResponseTimeout},
          {"keep_alive", &vip.keepAliveTimeout},
      };
      for (auto [key, target] : durations) {
        r.readDuration(timeouts, tfield, key, *target);
        if (timeouts[key].IsDefined() && target->count() == 0) {
          r.error(timeouts[key], tfield + "." + key, "must be above 0");
        }
      }
    }
  }
  if (const YAML::Node h2 = node["http2"]; h2.IsDefined()) {
    const std::string hfield = Reader::join(field, "http2");
    if (r.expectMap(h2, hfield,
                    {"h2c", "max_concurrent_streams", "max_header_list", "stream_window",
                     "connection_window", "max_glitches"})) {
      Http2Config& http2 = vip.http2;
      r.readBool(h2, hfield, "h2c", http2.h2c);
      r.readUint<uint32_t>(h2, hfield, "max_concurrent_streams", 1, 10000,
                           http2.maxConcurrentStreams);
      r.readSize(h2, hfield, "max_header_list", 1024, 1 << 20, http2.maxHeaderList);
      size_t window = http2.streamWindow;
      r.readSize(h2, hfield, "stream_window", 16 * 1024, (1u << 31) - 1, window);
      http2.streamWindow = static_cast<uint32_t>(window);
      window = http2.connectionWindow;
      r.readSize(h2, hfield, "connection_window", 64 * 1024, (1u << 31) - 1, window);
      http2.connectionWindow = static_cast<uint32_t>(window);
      r.readUint<uint32_t>(h2, hfield, "max_glitches", 10, 1000000, http2.maxGlitches);
    }
  }
  if (const YAML::Node paths = node["path_normalization"]; paths.IsDefined()) {
    const std::string pfield = Reader::join(field, "path_normalization");
    if (r.expectMap(paths, pfield, {"decode_unreserved", "remove_dot_segments", "merge_slashes"})) {
      PathNormalization& how = vip.request.paths;
      r.readBool(paths, pfield, "decode_unreserved", how.decodeUnreserved);
      r.readBool(paths, pfield, "remove_dot_segments", how.removeDotSegments);
      r.readBool(paths, pfield, "merge_slashes", how.mergeSlashes);
    }
  }
  readTermination(r, node, field, vip);
  readHttpOptions(r, node, field, vip);
  if (const YAML::Node rules = node["rules"]; rules.IsDefined()) {
    vip.rules = readRules(r, rules, Reader::join(field, "rules"));
  }
}

// Which keys each service takes, and which it needs.
void checkVipService(Reader& r, const YAML::Node& node, const std::string& field,
                     const VipConfig& vip) {
  const bool passthrough = vip.service == ServiceType::kHttpsPassthrough;
  const bool terminating = vip.terminatesTls();
  const bool peeks = passthrough || terminating;  // sni_routes make a terminating VIP peek
  const bool http = vip.isHttp();
  auto only = [&](const YAML::Node& at, const std::string& key, bool allowed, const char* who) {
    if (at.IsDefined() && !allowed) {
      r.error(at, field + "." + key,
              key + " applies to " + who + " VIPs, not to a " + toString(vip.service) + " VIP");
    }
  };
  const char* const kTls = "https-passthrough, https-offload and https-bridge";
  const char* const kTerminating = "https-offload and https-bridge";
  const char* const kHttp = "http, https-offload and https-bridge";
  only(node["sni_routes"], "sni_routes", peeks, kTls);
  only(node["no_sni"], "no_sni", passthrough, "https-passthrough");
  only(node["certificates"], "certificates", terminating, kTerminating);
  only(node["tls"], "tls", terminating, kTerminating);
  only(node["hsts"], "hsts", terminating, kTerminating);
  only(node["redirect_https"], "redirect_https", vip.service == ServiceType::kHttp, "http");
  only(node["forwarded_headers"], "forwarded_headers", http, kHttp);
  only(node["rules"], "rules", http, kHttp);
  only(node["path_normalization"], "path_normalization", http, kHttp);
  only(node["http2"], "http2", http, kHttp);
  if (const YAML::Node h2 = node["http2"]; h2.IsDefined() && h2.IsMap()) {
    only(h2["h2c"], "http2.h2c", vip.service == ServiceType::kHttp, "http");
  }
  // (IsDefined() first: yaml-cpp throws when asked the type of an absent node.)
  if (const YAML::Node limits = node["limits"]; limits.IsDefined() && limits.IsMap()) {
    only(limits["client_hello_max"], "limits.client_hello_max", peeks, kTls);
    only(limits["max_header_bytes"], "limits.max_header_bytes", http, kHttp);
    only(limits["max_headers"], "limits.max_headers", http, kHttp);
    only(limits["max_body"], "limits.max_body", http, kHttp);
  } else if (limits.IsDefined()) {
    only(limits, "limits", passthrough || http, "all but tcp");
  }
  if (const YAML::Node timeouts = node["timeouts"]; timeouts.IsDefined() && timeouts.IsMap()) {
    only(timeouts["peek"], "timeouts.peek", peeks, kTls);
    for (const char* key : {"client_header", "client_body", "server_response", "keep_alive"}) {
      only(timeouts[key], std::string("timeouts.") + key, http, kHttp);
    }
  } else if (timeouts.IsDefined()) {
    only(timeouts, "timeouts", passthrough || http, "all but tcp");
  }
  if (terminating && vip.certificates.empty()) {
    r.error(node, field + ".certificates",
            std::string("an ") + toString(vip.service) + " VIP needs at least one certificate");
  }
  if (vip.defaultGroup.empty() && (!passthrough || vip.sniRoutes.empty())) {
    r.error(node, field + ".default_group",
            passthrough ? "is required when there are no sni_routes" : "is required");
  }
}

// The VIP's TLS context from the certificates it names.
void buildTlsContext(Reader& r, const YAML::Node& node, const std::string& field,
                     const ConfigSnapshot& config, VipConfig& vip) {
  std::vector<std::shared_ptr<const Certificate>> certificates;
  for (size_t k = 0; k < vip.certificates.size(); ++k) {
    const std::string& name = vip.certificates[k];
    auto found = std::find_if(config.certificates.begin(), config.certificates.end(),
                              [&](const CertificateConfig& c) { return c.name == name; });
    if (found == config.certificates.end()) {
      r.error(node["certificates"][k], Reader::index(field + ".certificates", k),
              "no certificate is named '" + name + "'");
      return;
    }
    if (!found->loaded) return;  // its own error is reported already
    certificates.push_back(found->loaded);
  }
  std::string error;
  vip.tls = TlsServerContext::create(certificates, vip.tlsSettings, error);
  if (!vip.tls) {
    const YAML::Node at = node["tls"].IsDefined() ? node["tls"] : node["certificates"];
    r.error(at, field + (node["tls"].IsDefined() ? ".tls" : ".certificates"), error);
  }
}

// The top-level `certificates:` list: each entry loaded and checked now, so that a bad file is
// a config error (with its line) rather than a failure at the first handshake.
void readCertificates(Reader& r, const YAML::Node& list, const std::string& directory,
                      ConfigSnapshot& config) {
  if (!list.IsSequence()) {
    r.error(list, "certificates", "expected a list of {name, cert, key}");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = Reader::index("certificates", i);
    CertificateConfig& entry = config.certificates.emplace_back();
    if (!r.expectMap(list[i], field, {"name", "cert", "key"})) continue;
    readName(r, list[i], field, entry.name);
    auto cert = r.readString(list[i], field, "cert", true);
    auto key = r.readString(list[i], field, "key", true);
    if (!cert || !key) continue;
    entry.cert = resolvePath(directory, *cert);
    entry.key = resolvePath(directory, *key);
    std::string error;
    auto loaded = loadCertificate(entry.name, entry.cert, entry.key, error);
    if (!loaded) {
      const bool keyProblem =
          error.rfind("key file", 0) == 0 || error.rfind("cannot read key", 0) == 0;
      r.error(list[i][keyProblem ? "key" : "cert"], field + (keyProblem ? ".key" : ".cert"), error);
      continue;
    }
    entry.loaded = std::make_shared<const Certificate>(std::move(*loaded));
    for (size_t j = 0; j < i; ++j) {
      if (config.certificates[j].name == entry.name && !entry.name.empty()) {
        r.error(
            list[i]["name"], field + ".name",
            "'" + entry.name + "' is already the name of certificates[" + std::to_string(j) + "]");
      }
    }
  }
}

// Sticky groups get their cookie values, signed with the configured secret (or the process's
// random one, with a warning: then no other node, and no later run, honours the cookies).
void prepareStickyGroups(Reader& r, ConfigSnapshot& config) {
  bool anySticky = false;
  for (ServerGroupConfig& group : config.serverGroups) {
    if (!group.sticky.enabled) continue;
    anySticky = true;
    StickyCookie::prepare(group,
                          config.global.stickySecret.empty()
                              ? processStickySecret()
                              : std::string_view(config.global.stickySecret),
                          config.global.stickyPreviousSecret);
  }
  if (anySticky && config.global.stickySecret.empty()) {
    r.warnings().push_back(
        r.file() +
        ": global.sticky_secret is not set: sticky cookies are signed with a random key made at "
        "start, so they stop working at the next start, and other Sluice nodes will not honour "
        "them; a cluster must set the same secret on every node");
  }
}

// Checks that need the whole file: references between sections, and addresses in use twice.
void crossCheck(Reader& r, const YAML::Node& root, ConfigSnapshot& config) {
  prepareStickyGroups(r, config);
  std::map<std::string, size_t> groupIndex;
  for (size_t i = 0; i < config.serverGroups.size(); ++i) {
    const std::string& name = config.serverGroups[i].name;
    if (name.empty()) continue;
    if (auto [it, fresh] = groupIndex.emplace(name, i); !fresh) {
      r.error(root["server_groups"][i]["name"], Reader::index("server_groups", i) + ".name",
              "'" + name + "' is already the name of server_groups[" + std::to_string(it->second) +
                  "]");
    }
  }
  std::map<std::string, size_t> vipNames;
  std::map<std::string, size_t> listening;
  for (size_t i = 0; i < config.vips.size(); ++i) {
    VipConfig& vip = config.vips[i];
    const YAML::Node node = root["vips"][i];
    const std::string field = Reader::index("vips", i);
    if (!vip.name.empty()) {
      if (auto [it, fresh] = vipNames.emplace(vip.name, i); !fresh) {
        r.error(
            node["name"], field + ".name",
            "'" + vip.name + "' is already the name of vips[" + std::to_string(it->second) + "]");
      }
    }
    if (vip.active && vip.listen.length() != 0) {
      if (auto [it, fresh] = listening.emplace(vip.listen.toString(), i); !fresh) {
        r.error(node["listen"], field + ".listen",
                vip.listen.toString() + " is already the address of active vips[" +
                    std::to_string(it->second) + "]");
      }
      if (config.admin.enabled && vip.listen == config.admin.listen) {
        r.error(node["listen"], field + ".listen",
                vip.listen.toString() + " is the admin listener's address (admin.listen)");
      }
    }
    checkVipService(r, node, field, vip);
    // Each kind of traffic needs groups of the matching protocol.
    auto resolve = [&](const YAML::Node& at, const std::string& where, const std::string& name,
                       BackendProtocol needed, const char* what) {
      auto group = groupIndex.find(name);
      if (group == groupIndex.end()) {
        r.error(at, where, "no server group is named '" + name + "'");
        return kNoGroup;
      }
      const ServerGroupConfig& target = config.serverGroups[group->second];
      if (target.protocol != needed) {
        r.error(at, where,
                std::string("the ") + toString(vip.service) + " VIP " + what +
                    " and needs a group with protocol: " + toString(needed) + ", but '" +
                    target.name + "' has protocol: " + toString(target.protocol));
      }
      return group->second;
    };
    const bool bridge = vip.service == ServiceType::kHttpsBridge;
    const BackendProtocol needed = bridge         ? BackendProtocol::kHttps
                                   : vip.isHttp() ? BackendProtocol::kHttp
                                                  : BackendProtocol::kTcp;
    const char* what = bridge         ? "sends its requests over new TLS connections"
                       : vip.isHttp() ? "sends plain HTTP"
                                      : "relays bytes";
    if (!vip.defaultGroup.empty()) {
      vip.defaultGroupIndex =
          resolve(node["default_group"], field + ".default_group", vip.defaultGroup, needed, what);
    }
    if (vip.rules) {
      auto rules = std::const_pointer_cast<RuleSet>(vip.rules);
      for (size_t k = 0; k < rules->rules.size(); ++k) {
        Rule& rule = rules->rules[k];
        if (rule.action != Rule::Action::kRoute) continue;
        const std::string where = field + ".rules[" + std::to_string(k) + "].action.route";
        rule.groupIndex =
            resolve(node["rules"][k]["action"]["route"], where, rule.group, needed, what);
      }
    }
    auto router = std::make_shared<SniRouter>();
    for (size_t k = 0; k < vip.sniRoutes.size(); ++k) {
      SniRoute& route = vip.sniRoutes[k];
      const YAML::Node entry = node["sni_routes"][k];
      const std::string efield = field + ".sni_routes[" + std::to_string(k) + "]";
      if (!route.group.empty())
        route.groupIndex = resolve(entry["group"], efield + ".group", route.group,
                                   BackendProtocol::kTcp, "relays passed-through names as bytes");
      if (!route.sni.empty() && !router->add(route.sni, route.groupIndex)) {
        r.error(entry["sni"], efield + ".sni", "'" + route.sni + "' is routed twice");
      }
    }
    vip.sniRouter = std::move(router);
    if (vip.terminatesTls() && !vip.certificates.empty()) {
      buildTlsContext(r, node, field, config, vip);
    }
  }
}

// A key given twice in one mapping: YAML parsers disagree on which one wins (yaml-cpp keeps the
// first), so an operator who edited the second would see no effect. Every mapping of the
// document is checked, including those no reader looks at by key. Bounded in depth like
// yaml-cpp's own parser.
void checkDuplicateKeys(Reader& r, const YAML::Node& node, const std::string& field,
                        int depth = 0) {
  if (depth > 64) return;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      checkDuplicateKeys(r, node[i], Reader::index(field, i), depth + 1);
    }
    return;
  }
  if (!node.IsMap()) return;
  std::unordered_map<std::string, int> seen;  // key → the line it was first given at
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const int line = entry.first.Mark().line + 1;
    const auto [first, fresh] = seen.emplace(key, line);
    if (!fresh) {
      r.error(entry.first, Reader::join(field, key),
              "is given twice: at line " + std::to_string(first->second) + " and at line " +
                  std::to_string(line));
    }
    checkDuplicateKeys(r, entry.second, Reader::join(field, key), depth + 1);
  }
}

ConfigLoadResult build(Reader& r, const YAML::Node& root, const std::string& name) {
  ConfigLoadResult result;
  checkDuplicateKeys(r, root, "");
  auto config = std::make_shared<ConfigSnapshot>();
  config->sourcePath = name;
  if (!root.IsDefined() || root.IsNull()) {
    r.error(root, "", "the config is empty");
  } else if (r.expectMap(root, "",
                         {"global", "admin", "cluster", "certificates", "server_groups", "vips"})) {
    if (const YAML::Node global = root["global"]; global.IsDefined()) {
      readGlobal(r, global, config->global);
    }
    const size_t slash = name.rfind('/');
    const std::string directory = slash == std::string::npos ? "" : name.substr(0, slash);
    if (const YAML::Node admin = root["admin"]; admin.IsDefined()) {
      readAdmin(r, admin, directory, config->admin);
    }
    // Where the API keeps what it must not lose, by default beside the config file.
    const std::string base =
        name.size() > 5 && name.ends_with(".yaml") ? name.substr(0, name.size() - 5) : name;
    if (config->admin.stateFile.empty()) config->admin.stateFile = base + ".state.json";
    if (config->admin.auditLog.empty()) config->admin.auditLog = base + ".audit.jsonl";
    if (const YAML::Node cluster = root["cluster"]; cluster.IsDefined()) {
      readCluster(r, cluster, directory, base, config->cluster);
    }
    if (const YAML::Node certificates = root["certificates"]; certificates.IsDefined()) {
      readCertificates(r, certificates, directory, *config);
    }
    resolveAdminTls(r, root["admin"], *config);
    if (const YAML::Node groups = root["server_groups"]; groups.IsDefined()) {
      if (!groups.IsSequence()) {
        r.error(groups, "server_groups", "expected a list of server groups");
      } else {
        for (size_t i = 0; i < groups.size(); ++i) {
          readGroup(r, groups[i], Reader::index("server_groups", i), directory,
                    config->serverGroups.emplace_back());
        }
      }
    }
    if (const YAML::Node vips = root["vips"]; vips.IsDefined()) {
      if (!vips.IsSequence()) {
        r.error(vips, "vips", "expected a list of VIPs");
      } else {
        for (size_t i = 0; i < vips.size(); ++i) {
          readVip(r, vips[i], Reader::index("vips", i), config->vips.emplace_back());
        }
      }
    }
    bindVipsToNode(config->cluster, config->vips);
    crossCheck(r, root, *config);
  }
  result.errors = std::move(r.errors());
  result.warnings = std::move(r.warnings());
  if (result.errors.empty()) result.snapshot = std::move(config);
  return result;
}

}  // namespace

ConfigLoadResult loadConfigText(std::string_view text, const std::string& name) {
  Reader reader(name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    reader.errorAt(e.mark, "", "YAML syntax error: " + e.msg);
    ConfigLoadResult result;
    result.errors = std::move(reader.errors());
    return result;
  }
  try {
    return build(reader, root, name);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on a few shapes the checks above do not anticipate (e.g. a sequence
    // indexed as a map); report it against the file rather than crash the control thread.
    reader.errorAt(e.mark, "", std::string("unexpected YAML structure: ") + e.msg);
    ConfigLoadResult result;
    result.errors = std::move(reader.errors());
    return result;
  }
}

ConfigLoadResult loadConfigFile(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    ConfigLoadResult result;
    result.errors.push_back(ConfigError{path, 0, 0, "", "is a directory, not a config file"});
    return result;
  }
  std::ifstream in(path);
  if (!in) {
    ConfigLoadResult result;
    result.errors.push_back(ConfigError{path, 0, 0, "", "cannot read the file"});
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return loadConfigText(text.str(), path);
}

}  // namespace sluice
