#pragma once

// Cluster mode's tests: a real 3-member etcd cluster on 127.0.0.1 (EtcdCluster), Sluice nodes
// as real processes, each listening for the shared VIPs on an address of its own
// (cluster.node.listen_address 127.0.0.2, .3, ...), curl as the client.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "integration/api_reply.h"
#include "support/etcd_cluster.h"
#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {

using json = nlohmann::json;

inline const std::string kClusterToken = "cluster-admin-token-for-tests-001";

class ClusterTest : public ::testing::Test {
 public:
  struct Node {
    std::string name;
    std::string ip;  // where it listens for the shared VIPs
    uint16_t admin = freePort();
    std::string dataDir;
    std::unique_ptr<SluiceProcess> process;
  };

 protected:
  // `etcdArgs`: more flags for every etcd member.
  explicit ClusterTest(std::vector<std::string> etcdArgs = {}, EtcdCluster::Tls tls = {})
      : etcd_(3, std::move(etcdArgs), std::move(tls)), a_(httpOrigin("a")), b_(httpOrigin("b")) {
    char dirTemplate[] = "/tmp/sluice-cluster-XXXXXX";
    dir_ = ::mkdtemp(dirTemplate);
    prefix_ = "/sluice/v1/test-" + std::to_string(web_);
  }
  ~ClusterTest() override {
    nodes_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static const CertFactory::Issued& cert() {
    static const CertFactory::Issued issued = CertFactory::instance().issue({"shop.test"});
    return issued;
  }

  // The shared sections: a group over `servers` (origin names: a, b), an http VIP and an
  // https-offload VIP with a certificate, all on the wildcard address.
  // `sticky`: the group sends clients to one server with a cookie.
  std::string shared(const std::string& servers = "a", bool sticky = false) const {
    std::string list;
    for (char s : servers) {
      list += std::string(list.empty() ? "" : ", ") + "{name: " + s +
              ", address: " + (s == 'a' ? a_.address() : b_.address()) + "}";
    }
    return "certificates:\n  - {name: shop, cert: " + cert().cert + ", key: " + cert().key +
           "}\n"
           "server_groups:\n  - {name: web, protocol: http, servers: [" +
           list + "]" + (sticky ? ", sticky: {cookie: {name: SLUICE_SRV}}" : "") +
           "}\n"
           "vips:\n"
           "  - {name: web, listen: 0.0.0.0:" +
           std::to_string(web_) +
           ", service: http, default_group: web}\n"
           "  - {name: shop, listen: 0.0.0.0:" +
           std::to_string(shop_) +
           ", service: https-offload, certificates: [shop], default_group: web}\n";
  }

  // A node's file: its own sections, and `sharedYaml` (seeds an empty cluster) if any.
  std::string nodeYaml(const Node& node, const std::string& sharedYaml) const {
    return "cluster:\n"
           "  node: {id: " +
           node.name + ", listen_address: " + node.ip +
           "}\n"
           "  data_dir: " +
           node.dataDir +
           "\n"
           "  etcd: {endpoints: " +
           etcd_.endpointsYaml() + ", prefix: " + prefix_ + ", timeout: 1s" + etcdExtra_ + "}\n" +
           clusterExtra_ + "admin:\n  listen: 127.0.0.1:" + std::to_string(node.admin) +
           "\n"
           "  tokens: [{name: ops, role: admin, sha256: " +
           sha256Hex(kClusterToken) +
           "}]\n"
           "global: {workers: 1}\n" +
           sharedYaml;
  }

  // Starts node `name` (127.0.0.2 for the first, .3 for the next...).
  Node& startNode(const std::string& name, const std::string& sharedYaml = "") {
    auto found = nodes_.find(name);
    if (found == nodes_.end()) {
      Node node;
      node.name = name;
      node.ip = "127.0.0." + std::to_string(2 + nodes_.size());
      node.dataDir = dir_ + "/" + name;
      found = nodes_.emplace(name, std::move(node)).first;
    }
    Node& node = found->second;
    node.process = std::make_unique<SluiceProcess>(nodeYaml(node, sharedYaml));
    EXPECT_TRUE(node.process->waitReady()) << node.process->stderrText();
    return node;
  }
  Node& node(const std::string& name) { return nodes_.at(name); }

  Reply call(const Node& node, const std::string& method, const std::string& path,
             const std::string& flags = "") {
    std::string out;
    runCommand("curl -sS -i --max-time 15 -X " + method + " " + flags +
                   " -H 'Authorization: Bearer " + kClusterToken +
                   "' http://127.0.0.1:" + std::to_string(node.admin) + path,
               out);
    return replyOf(out);
  }
  Reply callJson(const Node& node, const std::string& method, const std::string& path,
                 const json& body, const std::string& flags = "") {
    const std::string file = dir_ + "/body-" + std::to_string(node.admin) + ".json";
    std::ofstream(file) << body.dump();
    return call(node, method, path, "--data-binary @" + file + " " + flags);
  }

  // Stages `document` (the shared sections, as YAML) as the node's draft.
  Reply stage(const Node& node, const std::string& yaml) {
    const std::string file = dir_ + "/draft-" + std::to_string(node.admin) + ".yaml";
    std::ofstream(file) << yaml;
    return call(node, "PUT", "/api/v1/config",
                "-H 'Content-Type: application/yaml' --data-binary @" + file);
  }
  // Applies the node's draft as reviewed now.
  Reply applyDraft(const Node& node, const std::string& comment = "test") {
    const Reply changes = call(node, "GET", "/api/v1/changes");
    return callJson(node, "POST", "/api/v1/apply", {{"comment", comment}},
                    "-H 'If-Match: " + changes.header("ETag") + "'");
  }
  Reply apply(const Node& node, const std::string& yaml) {
    const Reply staged = stage(node, yaml);
    if (staged.status != 200) return staged;
    return applyDraft(node);
  }

  // apply(), again while it answers anything but 200 (an election, etcd coming back), until
  // `timeout`: a success, or a failure naming the last answer.
  ::testing::AssertionResult applyWithin(std::chrono::milliseconds timeout, const Node& node,
                                         const std::string& yaml) {
    Reply reply;
    if (eventually(
            [&] {
              reply = apply(node, yaml);
              return reply.status == 200;
            },
            timeout)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "apply on " << node.name << ": " << reply.status << " "
                                         << reply.body << node.process->stderrText();
  }

  // Which origin answers a request through `node`'s http VIP ("" when none does).
  std::string originVia(const Node& node, const std::string& path = "/echo") {
    std::string out;
    runCommand("curl -sS -i --max-time 3 http://" + node.ip + ":" + std::to_string(web_) + path,
               out);
    const size_t at = out.find("X-Origin: ");
    return at == std::string::npos ? "" : out.substr(at + 10, 1);
  }
  // The status of a request through `node`'s offload VIP, verifying its certificate.
  int offloadStatus(const Node& node) {
    std::string out;
    runCommand("curl -sS -o /dev/null -w '%{http_code}' --max-time 3 --cacert " +
                   CertFactory::instance().caPath() +
                   " --resolve shop.test:" + std::to_string(shop_) + ":" + node.ip +
                   " https://shop.test:" + std::to_string(shop_) + "/echo",
               out);
    return std::atoi(out.c_str());
  }
  std::string readyz(const Node& node) { return call(node, "GET", "/readyz").body; }
  // A /metrics sample's value on `node` (-1 when absent).
  double metric(const Node& node, const std::string& name) {
    const std::string text = call(node, "GET", "/metrics").body;
    const size_t at = text.find("\n" + name + "{");
    if (at == std::string::npos) return -1;
    const size_t space = text.find("} ", at);
    return std::atof(text.c_str() + space + 2);
  }

  EtcdCluster etcd_;
  TestOrigin a_, b_;
  uint16_t web_ = freePort();
  uint16_t shop_ = freePort();
  std::string dir_;
  std::string prefix_;
  std::string clusterExtra_;  // more keys of `cluster:`, each line indented by two
  std::string etcdExtra_;     // more keys of `cluster.etcd`, each after a comma
  std::map<std::string, Node> nodes_;
};

}  // namespace sluice::test
