// The admin API end to end, with curl as the client: tokens and roles, the Host check, the read
// resources, and live server operations that survive a reload and a restart, each write in the
// audit log.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "integration/admin_api_fixture.h"
#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

TEST_F(AdminApiTest, ResourcesReadAsTheConfigWithLiveStateAndNeverAKey) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  Reply status = call("GET", "/api/v1/status", kReadToken);
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.parsed()["revision"], 1);
  EXPECT_EQ(status.parsed()["pending_changes"], 0);

  const Reply vips = call("GET", "/api/v1/vips", kReadToken);
  ASSERT_EQ(vips.status, 200);
  EXPECT_EQ(vips.parsed()["vips"].size(), 2u);
  const Reply shop = call("GET", "/api/v1/vips/shop", kReadToken);
  EXPECT_EQ(shop.parsed()["service"], "https-offload");
  EXPECT_EQ(shop.parsed()["certificates"], json::array({"shop"}));
  EXPECT_EQ(shop.parsed()["listen"], "127.0.0.1:" + std::to_string(shop_));

  const Reply group = call("GET", "/api/v1/server_groups/web", kReadToken);
  ASSERT_EQ(group.status, 200);
  EXPECT_EQ(group.parsed()["servers"][0]["state"], "up");

  const Reply certificate = call("GET", "/api/v1/certificates/shop", kReadToken);
  ASSERT_EQ(certificate.status, 200);
  const json view = certificate.parsed();
  EXPECT_EQ(view["names"], json::array({"shop.test"}));
  EXPECT_EQ(view["key_type"], "ecdsa");
  EXPECT_EQ(view["used_by"], json::array({"shop"}));
  EXPECT_EQ(view["sha256"].get<std::string>().size(), 95u) << "32 bytes as aa:bb:...";
  EXPECT_FALSE(view["not_after"].get<std::string>().empty());
  EXPECT_EQ(certificate.body.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(certificate.body.find(cert().key), std::string::npos) << "not even the key's path";

  // An unchanged representation is not sent again.
  const std::string etag = [&] {
    const size_t at = shop.headers.find("ETag: ");
    return shop.headers.substr(at + 6, shop.headers.find("\r\n", at) - at - 6);
  }();
  EXPECT_EQ(call("GET", "/api/v1/vips/shop", kReadToken, "-H 'If-None-Match: " + etag + "'").status,
            304);

  const Reply missing = call("GET", "/api/v1/vips/nope", kReadToken);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.headers.find("Content-Type: application/problem+json"), std::string::npos);
  EXPECT_EQ(missing.parsed()["detail"], "no VIP is named 'nope'");
  EXPECT_EQ(call("GET", "/api/v1/nothing-here", kReadToken).status, 404);
}

TEST_F(AdminApiTest, TokensRolesAndTheHostHeaderDecideWhoMayDoWhat) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const Reply none = call("GET", "/api/v1/status");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.headers.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/status", "not-a-token").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/status", "", "-H 'Authorization: Basic b3BzOm9wcw=='").status,
            401);
  EXPECT_EQ(call("GET", "/api/v1/status", kAdminToken).status, 200);
  const Reply readOnly = call("POST", "/api/v1/server_groups/web/servers/a/drain", kReadToken);
  EXPECT_EQ(readOnly.status, 403);
  EXPECT_EQ(readOnly.parsed()["detail"],
            "token 'grafana' has role read: it cannot change anything");
  // A page elsewhere that rebinds its name to 127.0.0.1 is refused, metrics included.
  EXPECT_EQ(call("GET", "/api/v1/status", kAdminToken, "-H 'Host: evil.example'").status, 403);
  EXPECT_EQ(call("GET", "/metrics", "", "-H 'Host: evil.example'").status, 403);
  EXPECT_EQ(call("GET", "/metrics").status, 200) << "metrics need no token";
  // Guessing is cut short: after 10 failures in a minute, even a good token waits.
  for (int i = 0; i < 10; ++i)
    call("GET", "/api/v1/status", "guess-" + std::to_string(i));
  const Reply limited = call("GET", "/api/v1/status", kAdminToken);
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.headers.find("Retry-After: 60"), std::string::npos);
}

TEST_F(AdminApiTest, WithoutTokensOnLoopbackTheApiIsReadOnly) {
  SluiceProcess sluice(config(false));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(call("GET", "/api/v1/status").status, 200);
  const Reply write = call("POST", "/api/v1/server_groups/web/servers/a/drain");
  EXPECT_EQ(write.status, 401);
  EXPECT_EQ(write.parsed()["detail"], "no admin.tokens are configured: the API is read-only");
}

TEST_F(AdminApiTest, ADrainedServerStaysDrainedAcrossReloadAndRestartUntilEnabled) {
  // The state and audit files outlive each process, as /var/lib and /var/log would.
  const std::string dir = "/tmp/sluice-admin-state-" + std::to_string(admin_);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string state = dir + "/state.json", audit = dir + "/audit.jsonl";
  const std::string yaml =
      config(true, "  state_file: " + state + "\n  audit_log: " + audit + "\n");
  {
    SluiceProcess sluice(yaml);
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    EXPECT_EQ(origins(10), (std::set<std::string>{"a", "b"}));
    const Reply drained = call("POST", "/api/v1/server_groups/web/servers/a/drain", kAdminToken);
    ASSERT_EQ(drained.status, 200) << drained.body;
    EXPECT_EQ(drained.parsed()["servers"][0]["state"], "draining");
    EXPECT_EQ(origins(10), (std::set<std::string>{"b"})) << "at once, on every worker";
    EXPECT_EQ(call("POST", "/api/v1/server_groups/web/servers/zz/drain", kAdminToken).status, 404);
    ASSERT_TRUE(sluice.reload(yaml));
    EXPECT_EQ(origins(10), (std::set<std::string>{"b"})) << "a reload keeps it";
    sluice.signal(SIGTERM);
    EXPECT_EQ(sluice.waitExit(), 0);
  }
  SluiceProcess restarted(yaml);
  ASSERT_TRUE(restarted.waitReady()) << restarted.stderrText();
  EXPECT_NE(restarted.stderrText().find("1 live operation(s) restored from " + state),
            std::string::npos);
  EXPECT_EQ(origins(10), (std::set<std::string>{"b"})) << "and so does a restart";
  const Reply enabled = call("POST", "/api/v1/server_groups/web/servers/a/enable", kAdminToken);
  EXPECT_EQ(enabled.parsed()["servers"][0]["state"], "up");
  EXPECT_EQ(origins(10), (std::set<std::string>{"a", "b"}));

  // Every write attempt was audited, across both processes.
  std::vector<json> lines;
  std::ifstream records(audit);
  for (std::string line; std::getline(records, line);)
    lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["token"], "ops");
  EXPECT_EQ(lines[0]["method"], "POST");
  EXPECT_EQ(lines[0]["path"], "/api/v1/server_groups/web/servers/a/drain");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[1]["status"], 404);
  EXPECT_EQ(lines[2]["path"], "/api/v1/server_groups/web/servers/a/enable");
  std::filesystem::remove_all(dir);
}

TEST_F(AdminApiTest, AWriteRefusedForItsRoleIsAuditedToo) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(call("POST", "/api/v1/server_groups/web/servers/a/disable", kReadToken).status, 403);
  const std::string audit =
      std::filesystem::path(sluice.configPath()).parent_path().string() + "/sluice.audit.jsonl";
  std::ifstream in(audit);
  std::string line;
  ASSERT_TRUE(std::getline(in, line)) << "no audit record";
  const json record = json::parse(line);
  EXPECT_EQ(record["token"], "grafana");
  EXPECT_EQ(record["status"], 403);
  EXPECT_EQ(record["client"], "127.0.0.1");
}

// The seeds' workflow through the API, under keep-alive load: an offload VIP takes a passthrough
// VIP's address, the passthrough VIP is unticked, the banner counts 2 changes, apply, and the
// address is offloaded.
TEST_F(AdminApiTest, TheSeedsSwitchIsStagedReviewedAndAppliedWithoutAFailedRequest) {
  auto stats = std::make_shared<TlsOriginStats>();
  TestOrigin backend(
      tlsWrapped(httpOrigin("tls-backend"), CertFactory::instance().issue({"shop.test"}), stats));
  const uint16_t port = freePort();
  std::string yaml = config();
  yaml.replace(yaml.find("vips:\n"), 6,
               "  - {name: tls, protocol: tcp, servers: [{name: t1, address: " + backend.address() +
                   "}]}\nvips:\n  - {name: shop-pass, listen: 127.0.0.1:" + std::to_string(port) +
                   ", service: https-passthrough, default_group: tls}\n");
  SluiceProcess sluice(yaml);
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  // A keep-alive client on the web VIP the whole time.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread load([&] {
    const int fd = connectLocal(web_);
    for (int i = 0; i < 100000 && !stop; ++i) {
      writeAll(fd, "GET /echo HTTP/1.1\r\nHost: web\r\n\r\n");
      const std::string head = readUntil(fd, "\r\n\r\n", 5000ms);
      const size_t at = head.find("Content-Length: ");
      if (head.rfind("HTTP/1.1 200", 0) != 0 || at == std::string::npos) {
        ++failed;
        break;
      }
      std::string body(std::stoul(head.substr(at + 16)), '\0');
      size_t got = 0;
      while (got < body.size()) {
        const ssize_t n = ::recv(fd, body.data() + got, body.size() - got, 0);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      ++answered;
    }
    ::close(fd);
  });

  // The operator uploads the shop's certificate (PEM chain and key); a key of another
  // certificate is refused, naming the field.
  const CertFactory::Issued uploaded = CertFactory::instance().issue({"shop.test"});
  const CertFactory::Issued other = CertFactory::instance().issue({"other.test"});
  Reply mismatch = callJson("POST", "/api/v1/certificates", kAdminToken,
                            {{"name", "shop-2026"},
                             {"cert_pem", readText(uploaded.cert)},
                             {"key_pem", readText(other.key)}});
  EXPECT_EQ(mismatch.status, 422) << mismatch.body;
  EXPECT_NE(mismatch.body.find("/certificates/shop-2026/"), std::string::npos) << mismatch.body;
  Reply upload = callJson("POST", "/api/v1/certificates", kAdminToken,
                          {{"name", "shop-2026"},
                           {"cert_pem", readText(uploaded.cert)},
                           {"key_pem", readText(uploaded.key)}});
  ASSERT_EQ(upload.status, 201) << upload.body;
  EXPECT_EQ(upload.parsed()["names"], json::array({"shop.test"}));
  EXPECT_EQ(upload.body.find("PRIVATE"), std::string::npos) << "the key is write-only";
  EXPECT_EQ(upload.body.find(".key"), std::string::npos);
  const std::string offload =
      "{\"name\": \"shop\", \"listen\": \"127.0.0.1:" + std::to_string(port) +
      "\", \"service\": \"https-offload\", \"certificates\": [\"shop-2026\"], "
      "\"default_group\": \"web\"}";
  // The running VIP named shop is renamed first: the draft must stay valid at every step.
  Reply renamed = call("DELETE", "/api/v1/vips/shop", kAdminToken);
  ASSERT_EQ(renamed.status, 204) << renamed.body;
  Reply created = call("POST", "/api/v1/vips", kAdminToken, "-d '" + offload + "'");
  EXPECT_EQ(created.status, 422) << "same address as the active passthrough VIP: " << created.body;
  EXPECT_NE(created.body.find("\"pointer\": \"/vips/shop/listen\""), std::string::npos)
      << created.body;
  Reply unticked = call("PATCH", "/api/v1/vips/shop-pass", kAdminToken, "-d '{\"active\": false}'");
  ASSERT_EQ(unticked.status, 200) << unticked.body;
  EXPECT_EQ(unticked.parsed()["service"], "https-passthrough") << "a merge patch keeps the rest";
  created = call("POST", "/api/v1/vips", kAdminToken, "-d '" + offload + "'");
  ASSERT_EQ(created.status, 201) << created.body;

  // The shop VIP that was removed first, the passthrough VIP unticked, the offload VIP and its
  // certificate added.
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 3);
  const Reply changes = call("GET", "/api/v1/changes", kReadToken);
  ASSERT_EQ(changes.status, 200);
  const json review = changes.parsed();
  EXPECT_EQ(review["pending"], 3) << review["resources"].dump()
                                  << review["draft_yaml"].get<std::string>();
  EXPECT_EQ(review["valid"], true) << review.dump();
  bool passthroughDrains = false;
  for (const json& vip : review["impact"]) {
    if (vip["vip"] == "shop-pass") {
      passthroughDrains = vip["effect"].get<std::string>().find("drain") != std::string::npos;
    }
  }
  EXPECT_TRUE(passthroughDrains) << review["impact"].dump();
  EXPECT_NE(review["draft_yaml"].get<std::string>().find("service: https-offload"),
            std::string::npos);
  const std::string etag = [&] {
    const size_t at = changes.headers.find("ETag: ");
    return changes.headers.substr(at + 6, changes.headers.find("\r\n", at) - at - 6);
  }();
  EXPECT_EQ(call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: \"stale\"'").status, 412);
  EXPECT_EQ(call("POST", "/api/v1/apply", kReadToken, "-H 'If-Match: " + etag + "'").status, 403);
  const Reply applied =
      call("POST", "/api/v1/apply", kAdminToken,
           "-H 'If-Match: " + etag + "' -d '{\"comment\": \"offload the shop\"}'");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(applied.parsed()["revision"], 2);

  const std::string answer = tlsExchange(
      port, "shop.test", "GET /echo HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n");
  EXPECT_NE(answer.find("X-Forwarded-Proto: https"), std::string::npos) << answer;
  const json certificate = call("GET", "/api/v1/certificates/shop-2026", kReadToken).parsed();
  EXPECT_EQ(certificate["used_by"], json::array({"shop"}));
  EXPECT_EQ(certificate["key_type"], "ecdsa");
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 0);
  // The file says what runs.
  std::ifstream file(sluice.configPath());
  const std::string written((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(written.rfind("# Written by the Sluice admin API", 0), 0u);
  SluiceProcess check(written, "check");
  EXPECT_EQ(check.waitExit(), 0) << check.stderrText();

  stop = true;
  load.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(answered.load(), 0);
}

TEST_F(AdminApiTest, AHandEditOrAReloadUnderTheDraftIsA409AndNothingIsOverwritten) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  ASSERT_EQ(call("PATCH", "/api/v1/vips/web", kAdminToken, "-d '{\"active\": false}'").status, 200);
  auto etagOf = [&] {
    const Reply changes = call("GET", "/api/v1/changes", kReadToken);
    const size_t at = changes.headers.find("ETag: ");
    return changes.headers.substr(at + 6, changes.headers.find("\r\n", at) - at - 6);
  };
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["config_file_changed"], false);
  // Someone edits the file by hand.
  std::string edited = config() + "# edited by hand\n";
  { std::ofstream(sluice.configPath()) << edited; }
  EXPECT_TRUE(eventually(
      [&] {
        return call("GET", "/api/v1/status", kReadToken).parsed()["config_file_changed"] == true;
      },
      5000ms))
      << "the store's watch saw it";
  const Reply conflict =
      call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etagOf() + "'");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_NE(conflict.parsed()["detail"].get<std::string>().find("changed on disk"),
            std::string::npos);
  {
    std::ifstream in(sluice.configPath());
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), edited) << "not overwritten";
  }
  // Then reloads it: the draft was made on the revision before.
  ASSERT_TRUE(sluice.reload(edited));
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["config_file_changed"], false)
      << "what runs is the file again";
  const Reply stale = call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etagOf() + "'");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(stale.parsed()["detail"].get<std::string>().find("reloaded"), std::string::npos);
  EXPECT_EQ(call("DELETE", "/api/v1/changes", kAdminToken).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 0);
}

TEST_F(AdminApiTest, AStaleEntryTagIs412AndTheDraftSurvivesARestart) {
  const std::string dir = "/tmp/sluice-admin-draft-" + std::to_string(admin_);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/sluice.yaml";
  std::ofstream(path) << config();
  {
    SluiceProcess sluice(std::vector<std::string>{"run", "-c", path});
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    const Reply read = call("GET", "/api/v1/vips/web", kReadToken);
    const size_t at = read.headers.find("ETag: ");
    const std::string etag = read.headers.substr(at + 6, read.headers.find("\r\n", at) - at - 6);
    ASSERT_EQ(call("PATCH", "/api/v1/vips/web", kAdminToken,
                   "-H 'If-Match: " + etag + "' -d '{\"timeouts\": {\"keep_alive\": \"5s\"}}'")
                  .status,
              200);
    const Reply stale = call("PATCH", "/api/v1/vips/web", kAdminToken,
                             "-H 'If-Match: " + etag + "' -d '{\"active\": false}'");
    EXPECT_EQ(stale.status, 412) << "the entry changed since it was read";
    EXPECT_EQ(call("GET", "/api/v1/vips/nope", kReadToken).status, 404);
    EXPECT_EQ(call("POST", "/api/v1/vips", kAdminToken, "-d 'not json'").status, 400);
    sluice.signal(SIGTERM);
    sluice.waitExit();
  }
  SluiceProcess restarted(std::vector<std::string>{"run", "-c", path});
  ASSERT_TRUE(restarted.waitReady()) << restarted.stderrText();
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 1)
      << "staged work is kept";
  EXPECT_EQ(call("GET", "/api/v1/vips/web", kReadToken).parsed()["timeouts"]["keep_alive"], "5s");
  std::filesystem::remove_all(dir);
}

TEST_F(AdminApiTest, EveryAppliedVersionIsKeptAndOneCanBeRestored) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  auto apply = [&](const std::string& comment) {
    const Reply changes = call("GET", "/api/v1/changes", kReadToken);
    const size_t at = changes.headers.find("ETag: ");
    const std::string etag =
        changes.headers.substr(at + 6, changes.headers.find("\r\n", at) - at - 6);
    return call("POST", "/api/v1/apply", kAdminToken,
                "-H 'If-Match: " + etag + "' -d '{\"comment\": \"" + comment + "\"}'");
  };
  ASSERT_EQ(call("PATCH", "/api/v1/vips/web", kAdminToken,
                 "-d '{\"timeouts\": {\"keep_alive\": \"5s\"}}'")
                .status,
            200);
  ASSERT_EQ(apply("shorter keep-alive").status, 200);

  const json history = call("GET", "/api/v1/revisions", kReadToken).parsed()["revisions"];
  ASSERT_EQ(history.size(), 2u) << history.dump();
  EXPECT_EQ(history[0]["revision"], 2) << "newest first";
  EXPECT_EQ(history[0]["by"], "ops");
  EXPECT_EQ(history[0]["comment"], "shorter keep-alive");
  EXPECT_EQ(history[0]["changes"][0]["name"], "web");
  EXPECT_EQ(history[1]["by"], "file");
  const json diff = call("GET", "/api/v1/revisions/1/diff/2", kReadToken).parsed();
  EXPECT_EQ(diff["resources"], json::array({{{"section", "vips"},
                                             {"name", "web"},
                                             {"change", "changed"},
                                             {"fields", {"timeouts"}}}}));
  EXPECT_NE(call("GET", "/api/v1/revisions/1", kReadToken)
                .parsed()["yaml"]
                .get<std::string>()
                .find("name: web"),
            std::string::npos);

  const Reply restored = call("POST", "/api/v1/revisions/1/restore", kAdminToken);
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(restored.parsed()["pending"], 1);
  ASSERT_EQ(apply("back to 1").status, 200);
  EXPECT_FALSE(call("GET", "/api/v1/vips/web", kReadToken).parsed().contains("timeouts"));
  EXPECT_EQ(call("GET", "/api/v1/revisions", kReadToken).parsed()["revisions"].size(), 3u);
  EXPECT_EQ(call("GET", "/api/v1/revisions/99", kReadToken).status, 404);
}

TEST_F(AdminApiTest, TheWholeDocumentCanBeDryRunThenStagedForGitOps) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const Reply live = call("GET", "/api/v1/config", kReadToken, "-H 'Accept: application/yaml'");
  ASSERT_EQ(live.status, 200);
  std::string yaml = live.body;
  const std::string vip = "  - name: web\n    default_group:";
  ASSERT_NE(yaml.find(vip), std::string::npos) << yaml;
  yaml.replace(yaml.find(vip), vip.size(), "  - name: www\n    default_group:");  // rename the VIP
  const std::string file = "/tmp/sluice-api-config-" + std::to_string(admin_) + ".yaml";
  std::ofstream(file) << yaml;
  const Reply dry = call("PUT", "/api/v1/config?dry_run=1", kAdminToken,
                         "-H 'Content-Type: application/yaml' --data-binary @" + file);
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.parsed()["valid"], true);
  EXPECT_EQ(dry.parsed()["resources"].size(), 2u) << "web removed, www added: " << dry.body;
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 0)
      << "a dry run keeps nothing";
  const Reply staged = call("PUT", "/api/v1/config", kAdminToken,
                            "-H 'Content-Type: application/yaml' --data-binary @" + file);
  ASSERT_EQ(staged.status, 200) << staged.body;
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 2);
  std::filesystem::remove(file);
}

TEST_F(AdminApiTest, ATimedApplyRollsBackUnlessConfirmed) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  auto stage = [&] {
    EXPECT_EQ(call("PATCH", "/api/v1/vips/web", kAdminToken, "-d '{\"active\": false}'").status,
              200);
    const Reply changes = call("GET", "/api/v1/changes", kReadToken);
    const size_t at = changes.headers.find("ETag: ");
    return changes.headers.substr(at + 6, changes.headers.find("\r\n", at) - at - 6);
  };
  // Not confirmed: the VIP listens again by itself.
  Reply applied = call("POST", "/api/v1/apply", kAdminToken,
                       "-H 'If-Match: " + stage() + "' -d '{\"confirm_within_s\": 1}'");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_LT(connectLocal(web_), 0) << "the VIP is off";
  EXPECT_TRUE(eventually([&] { return connectLocal(web_) >= 0; }, 10000ms)) << "rolled back";
  EXPECT_EQ(call("GET", "/api/v1/revisions", kReadToken).parsed()["revisions"][0]["by"],
            "rollback");
  // Confirmed in time: it stays.
  applied = call("POST", "/api/v1/apply", kAdminToken,
                 "-H 'If-Match: " + stage() + "' -d '{\"confirm_within_s\": 2}'");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(call("POST", "/api/v1/apply/confirm", kAdminToken).status, 200);
  std::this_thread::sleep_for(3000ms);
  EXPECT_LT(connectLocal(web_), 0) << "still off: it was confirmed";
  EXPECT_EQ(call("POST", "/api/v1/apply/confirm", kAdminToken).status, 409) << "nothing waits";
}

// The CLI over the API, as a deploy script runs it.
TEST_F(AdminApiTest, TheCommandLineDiffsAppliesAndDrainsThroughTheApi) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::vector<std::string> target = {"--admin", "http://127.0.0.1:" + std::to_string(admin_),
                                           "--token", kAdminToken};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), target.begin(), target.end());
    auto process = std::make_unique<SluiceProcess>(args);
    process->waitExit();
    return process;
  };
  auto status = run({"status"});
  EXPECT_EQ(status->waitExit(), 0) << status->stderrText();
  EXPECT_NE(status->stdoutText().find("revision 1, 2 VIPs"), std::string::npos)
      << status->stdoutText();

  std::string next = config();
  next.replace(next.find("service: http, default_group: web}"), 34,
               "service: http, default_group: web, active: false}");
  const std::string file = sluice.configPath() + ".next.yaml";
  std::ofstream(file) << next;
  auto diff = run({"diff", "-f", file});
  EXPECT_EQ(diff->waitExit(), 0) << diff->stderrText();
  EXPECT_NE(diff->stdoutText().find("1 change(s)"), std::string::npos) << diff->stdoutText();
  EXPECT_NE(diff->stdoutText().find("changed  vips/web"), std::string::npos);

  auto apply = run({"apply", "-f", file, "--comment", "from the CLI"});
  EXPECT_EQ(apply->waitExit(), 0) << apply->stderrText();
  EXPECT_NE(apply->stdoutText().find("revision 2 is live"), std::string::npos)
      << apply->stdoutText();
  EXPECT_LT(connectLocal(web_), 0) << "the web VIP is off";

  auto drain = run({"server", "drain", "web/b"});
  EXPECT_EQ(drain->waitExit(), 0) << drain->stderrText();
  EXPECT_NE(drain->stdoutText().find("web/b: draining"), std::string::npos) << drain->stdoutText();
  auto missing = run({"server", "drain", "web/zz"});
  EXPECT_EQ(missing->waitExit(), 1);
  EXPECT_NE(missing->stderrText().find("404"), std::string::npos) << missing->stderrText();

  std::string broken = next;
  broken.replace(broken.find("default_group: web, active"), 18, "default_group: nope");
  std::ofstream(file) << broken;
  auto invalid = run({"diff", "-f", file});
  EXPECT_EQ(invalid->waitExit(), 1);
  EXPECT_NE(invalid->stdoutText().find("NOT VALID"), std::string::npos) << invalid->stdoutText();
  EXPECT_NE(invalid->stdoutText().find("/vips/web/default_group"), std::string::npos);
}

// The console's live feed: a server that goes down, and one an operator drains, arrive as events
// within seconds, without a reload; /stats has each VIP's rates and totals.
TEST_F(AdminApiTest, EventsStreamServerChangesAndStatsCountTraffic) {
  auto healthy = std::make_shared<std::atomic<int>>(200);
  TestOrigin checked(httpOrigin("c", healthy));
  std::string yaml = config();
  yaml.replace(yaml.find("vips:\n"), 6,
               "  - name: checked\n    protocol: http\n"
               "    health: {type: http, path: /healthz, interval: 200ms, timeout: 100ms, rise: 1, "
               "fall: 1}\n    servers: [{name: c, address: " +
                   checked.address() + "}]\nvips:\n");
  SluiceProcess sluice(yaml);
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string stream = sluice.configPath() + ".events";
  std::thread listener([&] {
    std::string ignored;
    runCommand("curl -sN --max-time 8 -H 'Authorization: Bearer " + kReadToken +
                   "' http://127.0.0.1:" + std::to_string(admin_) + "/api/v1/events > " + stream,
               ignored);
  });
  auto streamed = [&] {
    std::ifstream in(stream);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  ASSERT_TRUE(
      eventually([&] { return streamed().find(": sluice events") != std::string::npos; }, 5000ms));
  EXPECT_EQ(origins(6).size(), 2u);
  *healthy = 500;
  EXPECT_EQ(call("POST", "/api/v1/server_groups/web/servers/a/drain", kAdminToken).status, 200);
  EXPECT_TRUE(eventually(
      [&] {
        const std::string text = streamed();
        return text.find("\"server\":\"c\"") != std::string::npos &&
               text.find("\"state\":\"down\"") != std::string::npos &&
               text.find("\"state\":\"draining\"") != std::string::npos;
      },
      6000ms))
      << streamed();
  EXPECT_NE(streamed().find("event: server\n"), std::string::npos);
  EXPECT_NE(streamed().find("\nid: "), std::string::npos);

  ASSERT_TRUE(eventually(
      [&] {
        const json stats = call("GET", "/api/v1/stats", kReadToken).parsed();
        for (const json& vip : stats["vips"]) {
          if (vip["name"] == "web") return vip["requests"]["2xx"] == 6 && vip["requests_per_s"] > 0;
        }
        return false;
      },
      5000ms))
      << call("GET", "/api/v1/stats", kReadToken).body;
  // /health says when the server was last checked, how long it took and why it failed.
  const json health = call("GET", "/api/v1/health", kReadToken).parsed();
  bool seen = false;
  for (const json& group : health["server_groups"]) {
    if (group["name"] != "checked") continue;
    const json& check = group["servers"][0]["last_check"];
    EXPECT_EQ(check["passed"], false) << check.dump();
    EXPECT_NE(check["reason"].get<std::string>().find("500"), std::string::npos) << check.dump();
    EXPECT_GE(check["latency_ms"].get<double>(), 0.0);
    EXPECT_EQ(check["at"].get<std::string>().size(), 20u) << "2026-12-01T12:00:00Z";
    seen = true;
  }
  EXPECT_TRUE(seen) << health.dump();
  listener.join();
}

}  // namespace
}  // namespace sluice::test
