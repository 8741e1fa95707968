#pragma once

// The admin API tests' fixture: a Sluice with an admin listener, two tokens (admin and read),
// an http VIP and an https-offload VIP over two origins, and curl as the client.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "integration/api_reply.h"
#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {

using json = nlohmann::json;

inline const std::string kAdminToken = "admin-token-for-the-api-test-0001";
inline const std::string kReadToken = "read-token-for-the-api-test-00002";

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : a_(httpOrigin("a")), b_(httpOrigin("b")) {}

  // `adminExtra`: more admin keys, e.g. state_file.
  std::string config(bool tokens = true, const std::string& adminExtra = "") {
    const CertFactory::Issued& cert = this->cert();
    std::string admin = "admin:\n  listen: 127.0.0.1:" + std::to_string(admin_) + "\n" + adminExtra;
    if (tokens) {
      admin += "  tokens:\n    - {name: ops, role: admin, sha256: " + sha256Hex(kAdminToken) +
               "}\n    - {name: grafana, role: read, sha256: " + sha256Hex(kReadToken) + "}\n";
    }
    return admin +
           "global: {workers: 2}\n"
           "certificates:\n  - {name: shop, cert: " +
           cert.cert + ", key: " + cert.key +
           "}\n"
           "server_groups:\n"
           "  - {name: web, protocol: http, servers: [{name: a, address: " +
           a_.address() + "}, {name: b, address: " + b_.address() +
           "}]}\n"
           "vips:\n"
           "  - {name: web, listen: 127.0.0.1:" +
           std::to_string(web_) +
           ", service: http, default_group: web}\n"
           "  - {name: shop, listen: 127.0.0.1:" +
           std::to_string(shop_) +
           ", service: https-offload, certificates: [shop], default_group: web}\n";
  }
  static const CertFactory::Issued& cert() {
    static const CertFactory::Issued issued = CertFactory::instance().issue({"shop.test"});
    return issued;
  }

  // curl against the admin listener: METHOD PATH with `token` (none when empty) and `flags`.
  Reply call(const std::string& method, const std::string& path, const std::string& token = "",
             const std::string& flags = "") {
    std::string out;
    runCommand("curl -sS -i --max-time 5 -X " + method + " " + flags +
                   (token.empty() ? "" : " -H 'Authorization: Bearer " + token + "'") +
                   " http://127.0.0.1:" + std::to_string(admin_) + path,
               out);
    return replyOf(out);
  }

  // call() with a JSON body (sent from a file: PEM text needs no shell quoting).
  Reply callJson(const std::string& method, const std::string& path, const std::string& token,
                 const json& body, const std::string& flags = "") {
    const std::string file = "/tmp/sluice-api-body-" + std::to_string(admin_) + ".json";
    std::ofstream(file) << body.dump();
    Reply reply = call(method, path, token, "--data-binary @" + file + " " + flags);
    std::filesystem::remove(file);
    return reply;
  }
  static std::string readText(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  // The origins that answer `n` new requests through the web VIP.
  std::set<std::string> origins(int n) {
    std::set<std::string> seen;
    for (int i = 0; i < n; ++i) {
      std::string out;
      runCommand("curl -sS -i --max-time 5 http://127.0.0.1:" + std::to_string(web_) + "/echo",
                 out);
      const size_t at = out.find("X-Origin: ");
      if (at != std::string::npos) seen.insert(out.substr(at + 10, 1));
    }
    return seen;
  }

  uint16_t admin_ = freePort();
  uint16_t web_ = freePort();
  uint16_t shop_ = freePort();
  TestOrigin a_, b_;
};

}  // namespace sluice::test
