#include "server/admin/api_views.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>

#include "core/hex.h"

namespace sluice {
namespace {

using json = nlohmann::json;

std::string durationText(Millis value) {
  const auto ms = value.count();
  if (ms % 3600000 == 0 && ms > 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms > 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string utc(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return "";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace

json groupView(const ConfigSnapshot& snapshot, const ServerStates& states, size_t g) {
  const ServerGroupConfig& group = snapshot.serverGroups[g];
  json servers = json::array();
  const TimePoint now = Clock::now();
  for (size_t s = 0; s < group.servers.size(); ++s) {
    const ServerConfig& server = group.servers[s];
    const ServerHealth& health = states.of(g, s);
    servers.push_back({{"name", server.name},
                       {"address", server.address.toString()},
                       {"weight", server.weight},
                       {"backup", server.backup},
                       {"drain", server.drain},
                       {"state", ServerHealth::toString(health.state())},
                       {"ejected", health.ejected(now)}});
  }
  json view = {{"name", group.name},
               {"protocol", toString(group.protocol)},
               {"balance", toString(group.balance)},
               {"retries", group.retries},
               {"timeouts",
                {{"connect", durationText(group.connectTimeout)},
                 {"idle", durationText(group.idleTimeout)}}},
               {"servers", servers}};
  if (group.health.type != HealthCheckConfig::Type::kNone) {
    static constexpr const char* kTypes[] = {"none", "tcp", "http", "https", "tls"};
    view["health"] = {{"type", kTypes[static_cast<int>(group.health.type)]},
                      {"interval", durationText(group.health.interval)},
                      {"timeout", durationText(group.health.timeout)},
                      {"rise", group.health.rise},
                      {"fall", group.health.fall}};
  }
  if (group.sticky.enabled) view["sticky"] = {{"cookie", {{"name", group.sticky.name}}}};
  return view;
}

json certificateView(const std::string& name, const Certificate* loaded, const json& usedBy) {
  json view = {{"name", name}, {"used_by", usedBy}};
  if (!loaded || !loaded->leaf) return view;
  const Certificate* cert = loaded;
  X509* leaf = loaded->leaf.get();
  char subject[512];
  X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof subject);
  view["subject"] = subject;
  view["names"] = cert->dnsNames;
  view["not_after"] = utc(X509_get0_notAfter(leaf));
  view["key_type"] = cert->keyType == Certificate::KeyType::kEcdsa ? "ecdsa"
                     : cert->keyType == Certificate::KeyType::kRsa ? "rsa"
                                                                   : "other";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  X509_digest(leaf, EVP_sha256(), digest, &length);
  view["sha256"] = hexOf(digest, length, ":");
  return view;
}

json healthView(const ConfigSnapshot& snapshot, const ServerStates& states) {
  json groups = json::array();
  const TimePoint now = Clock::now();
  for (size_t g = 0; g < snapshot.serverGroups.size(); ++g) {
    const ServerGroupConfig& group = snapshot.serverGroups[g];
    json servers = json::array();
    for (size_t s = 0; s < group.servers.size(); ++s) {
      const ServerHealth& health = states.of(g, s);
      json server = {{"name", group.servers[s].name},
                     {"state", ServerHealth::toString(health.state())},
                     {"weight", group.servers[s].weight},
                     {"routable", health.routable(now)},
                     {"ejected", health.ejected(now)}};
      if (const ServerHealth::CheckRecord check = health.lastCheck(); check.atUnixMillis != 0) {
        const std::time_t seconds = static_cast<std::time_t>(check.atUnixMillis / 1000);
        std::tm parts{};
        gmtime_r(&seconds, &parts);
        char at[32];
        std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &parts);
        server["last_check"] = {{"at", at},
                                {"passed", check.passed},
                                {"latency_ms", static_cast<double>(check.latencyMicros) / 1000.0},
                                {"reason", check.reason}};
      }
      servers.push_back(server);
    }
    groups.push_back({{"name", group.name},
                      {"checked", group.health.type != HealthCheckConfig::Type::kNone},
                      {"servers", servers}});
  }
  return {{"server_groups", groups}};
}

std::string etagOf(const json& representation) {
  const std::string text = representation.dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return "\"" + hexOf(digest, 12) + "\"";
}

}  // namespace sluice
