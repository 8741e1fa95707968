#include "config/cluster_reader.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace sluice {
namespace {

std::string resolve(const std::string& directory, const std::string& path) {
  return path.empty() || path.front() == '/' || directory.empty() ? path : directory + "/" + path;
}

void readEtcd(Reader& r, const YAML::Node& node, const std::string& directory,
              ClusterConfig& cluster) {
  const std::string field = "cluster.etcd";
  if (!r.expectMap(node, field, {"endpoints", "prefix", "timeout", "tls", "auth"})) return;
  const YAML::Node endpoints = node["endpoints"];
  if (!endpoints.IsDefined() || !endpoints.IsSequence() || endpoints.size() == 0) {
    r.error(endpoints.IsDefined() ? endpoints : node, field + ".endpoints",
            "expected a list of etcd members' client URLs, e.g. [http://10.0.0.1:2379]");
  } else {
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const std::string at = Reader::index(field + ".endpoints", i);
      if (!endpoints[i].IsScalar()) {
        r.error(endpoints[i], at, "expected a URL");
        continue;
      }
      std::string url = endpoints[i].Scalar();
      while (!url.empty() && url.back() == '/')
        url.pop_back();
      if (!url.starts_with("http://") && !url.starts_with("https://")) {
        r.error(endpoints[i], at, "'" + url + "' must start with http:// or https://");
        continue;
      }
      cluster.endpoints.push_back(url);
    }
  }
  if (auto prefix = r.readString(node, field, "prefix", false)) {
    if (prefix->size() < 2 || prefix->front() != '/' || prefix->back() == '/') {
      r.error(node["prefix"], field + ".prefix",
              "'" + *prefix + "' must start with '/' and not end with one, e.g. /sluice/v1/prod");
    } else {
      cluster.prefix = *prefix;
    }
  }
  r.readDuration(node, field, "timeout", cluster.timeout);
  if (cluster.timeout.count() < 100 || cluster.timeout.count() > 60000) {
    r.error(node["timeout"], field + ".timeout", "must be from 100ms to 60s");
  }
  if (const YAML::Node tls = node["tls"]; tls.IsDefined()) {
    if (r.expectMap(tls, field + ".tls", {"ca", "cert", "key"})) {
      if (auto ca = r.readString(tls, field + ".tls", "ca", false))
        cluster.caFile = resolve(directory, *ca);
      if (auto cert = r.readString(tls, field + ".tls", "cert", false)) {
        cluster.certFile = resolve(directory, *cert);
      }
      if (auto key = r.readString(tls, field + ".tls", "key", false)) {
        cluster.keyFile = resolve(directory, *key);
      }
      if (cluster.certFile.empty() != cluster.keyFile.empty()) {
        r.error(tls, field + ".tls", "a client certificate needs both cert and key");
      }
    }
  }
  if (const YAML::Node auth = node["auth"]; auth.IsDefined()) {
    const std::string at = field + ".auth";
    if (!r.expectMap(auth, at, {"user", "password", "password_file"})) return;
    if (auto user = r.readString(auth, at, "user", true)) cluster.user = *user;
    const auto password = r.readString(auth, at, "password", false);
    const auto file = r.readString(auth, at, "password_file", false);
    if (password.has_value() == file.has_value()) {
      r.error(auth, at, "give one of password and password_file");
    } else if (password) {
      cluster.password = *password;
    } else {
      std::ifstream in(resolve(directory, *file));
      if (!in) {
        r.error(auth["password_file"], at + ".password_file",
                "cannot read '" + resolve(directory, *file) + "'");
        return;
      }
      std::stringstream text;
      text << in.rdbuf();
      cluster.password = text.str();
      while (!cluster.password.empty() &&
             (cluster.password.back() == '\n' || cluster.password.back() == '\r')) {
        cluster.password.pop_back();
      }
    }
  }
}

}  // namespace

void readCluster(Reader& r, const YAML::Node& node, const std::string& directory,
                 const std::string& configBase, ClusterConfig& cluster) {
  cluster.enabled = true;
  if (!r.expectMap(
          node, "cluster",
          {"node", "data_dir", "etcd", "session_ticket_rotation", "sticky_secret_rotation"})) {
    return;
  }
  r.readDuration(node, "cluster", "sticky_secret_rotation", cluster.stickySecretRotation);
  if (cluster.stickySecretRotation.count() < 1000) {
    r.error(node["sticky_secret_rotation"], "cluster.sticky_secret_rotation",
            "must be at least 1s (24h is usual; at least the cookies' max_age)");
  }
  r.readDuration(node, "cluster", "session_ticket_rotation", cluster.sessionTicketRotation);
  if (cluster.sessionTicketRotation.count() < 1000) {
    r.error(node["session_ticket_rotation"], "cluster.session_ticket_rotation",
            "must be at least 1s (12h is usual)");
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  cluster.nodeId = host;
  if (const YAML::Node self = node["node"]; self.IsDefined()) {
    if (r.expectMap(self, "cluster.node", {"id", "listen_address"})) {
      if (auto id = r.readString(self, "cluster.node", "id", false)) {
        if (id->empty() || id->size() > 64 || id->find_first_of("/ \t") != std::string::npos) {
          r.error(self["id"], "cluster.node.id",
                  "must be 1 to 64 characters, without '/' or spaces");
        } else {
          cluster.nodeId = *id;
        }
      }
      if (auto address = r.readString(self, "cluster.node", "listen_address", false)) {
        if (!SocketAddress::parse(*address + ":1") &&
            !SocketAddress::parse("[" + *address + "]:1")) {
          r.error(self["listen_address"], "cluster.node.listen_address",
                  "'" + *address + "' is not an IP address");
        } else {
          cluster.listenAddress = *address;
        }
      }
    }
  }
  if (auto dir = r.readString(node, "cluster", "data_dir", false)) {
    cluster.dataDir = resolve(directory, *dir);
  } else {
    cluster.dataDir = configBase + ".cluster";
  }
  if (const YAML::Node etcd = node["etcd"]; etcd.IsDefined()) {
    readEtcd(r, etcd, directory, cluster);
  } else {
    r.error(node, "cluster.etcd",
            "is required: the etcd members the nodes share their config through");
  }
}

void bindVipsToNode(const ClusterConfig& cluster, std::vector<VipConfig>& vips) {
  if (!cluster.enabled || cluster.listenAddress.empty()) return;
  for (VipConfig& vip : vips) {
    const std::string ip = vip.listen.ipString();
    if (ip != "0.0.0.0" && ip != "::") continue;
    const std::string port = std::to_string(vip.listen.port());
    auto bound = SocketAddress::parse(cluster.listenAddress + ":" + port);
    if (!bound) bound = SocketAddress::parse("[" + cluster.listenAddress + "]:" + port);
    if (bound) vip.listen = *bound;
  }
}

}  // namespace sluice
