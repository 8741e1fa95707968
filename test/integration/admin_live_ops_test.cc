// Live operations of the admin API beyond drain/enable/disable: a server's weight (live, kept
// across apply and restart, no new revision) and closing its connections now; and the impact
// a change would have, HTTP and WebSocket connections counted apart.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "integration/admin_api_fixture.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

int weightOf(const json& health, const std::string& server) {
  for (const json& group : health["server_groups"]) {
    for (const json& entry : group["servers"]) {
      if (entry["name"] == server) return entry["weight"].get<int>();
    }
  }
  return -1;
}

TEST_F(AdminApiTest, AServersWeightIsLiveAndKeptAcrossApplyAndRestartUntilReset) {
  const std::string dir = "/tmp/sluice-admin-weight-" + std::to_string(admin_);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string keep = "  state_file: " + dir + "/state.json\n";
  auto sluice = std::make_unique<SluiceProcess>(config(true, keep));
  ASSERT_TRUE(sluice->waitReady()) << sluice->stderrText();
  const std::string path = "/api/v1/server_groups/web/servers/a/weight";

  EXPECT_EQ(callJson("POST", path, kReadToken, {{"weight", 9}}).status, 403);
  EXPECT_EQ(callJson("POST", path, kAdminToken, {{"weight", 0}}).status, 400) << "drain instead";
  EXPECT_EQ(callJson("POST", path, kAdminToken, {{"weight", "9"}}).status, 400);
  EXPECT_EQ(
      callJson("POST", "/api/v1/server_groups/web/servers/zz/weight", kAdminToken, {{"weight", 9}})
          .status,
      404);
  const Reply set = callJson("POST", path, kAdminToken, {{"weight", 9}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(weightOf({{"server_groups", {set.parsed()}}}, "a"), 9);
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["revision"], 1)
      << "a live weight is not a config revision";
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 0);

  // Round robin now sends nine of ten new connections to a.
  int toA = 0, toB = 0;
  for (int i = 0; i < 40; ++i) {
    const auto seen = origins(1);
    toA += seen.count("a");
    toB += seen.count("b");
  }
  EXPECT_GT(toA, 3 * toB) << "a " << toA << ", b " << toB;
  EXPECT_GT(toB, 0);
  const json group = call("GET", "/api/v1/server_groups/web", kReadToken).parsed();
  EXPECT_EQ(group["servers"][0]["live_weight"], 9) << group.dump();
  EXPECT_FALSE(group["servers"][0].contains("weight")) << "the config has none: 1";

  // An apply of something else keeps it, and so does a restart.
  ASSERT_EQ(call("PATCH", "/api/v1/vips/web", kAdminToken, "-d '{\"active\": false}'").status, 200);
  const std::string etag = call("GET", "/api/v1/changes", kReadToken).header("ETag");
  ASSERT_EQ(call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etag + "'").status, 200);
  EXPECT_EQ(weightOf(call("GET", "/api/v1/health", kReadToken).parsed(), "a"), 9);
  const std::string written = readText(sluice->configPath());
  sluice.reset();
  sluice = std::make_unique<SluiceProcess>(written);
  ASSERT_TRUE(sluice->waitReady()) << sluice->stderrText();
  EXPECT_EQ(weightOf(call("GET", "/api/v1/health", kReadToken).parsed(), "a"), 9);

  const Reply reset = callJson("POST", path, kAdminToken, {{"weight", nullptr}});
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(weightOf(call("GET", "/api/v1/health", kReadToken).parsed(), "a"), 1);
  EXPECT_EQ(json::parse(readText(dir + "/state.json"))["weights"], json::array());
  std::filesystem::remove_all(dir);
}

TEST_F(AdminApiTest, ClosingAServersConnectionsEndsItsRelaysAndKeepsIdleClients) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // Everything goes to a.
  ASSERT_EQ(call("POST", "/api/v1/server_groups/web/servers/b/disable", kAdminToken).status, 200);

  const int socket = connectLocal(web_);
  ASSERT_TRUE(writeAll(socket,
                       "GET /ws HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\n"
                       "Upgrade: websocket\r\n\r\n"));
  ASSERT_NE(readUntil(socket, "\r\n\r\n", 5000ms).find("101"), std::string::npos);
  ASSERT_TRUE(writeAll(socket, "frame"));
  ASSERT_EQ(readUntil(socket, "frame", 5000ms), "frame");
  const int client = connectLocal(web_);
  ASSERT_TRUE(writeAll(client, "GET /echo HTTP/1.1\r\nHost: web.test\r\n\r\n"));
  ASSERT_NE(readUntil(client, "X-Origin: a", 5000ms).find("X-Origin: a"), std::string::npos);

  // The review of a change to the VIP counts both kinds apart.
  ASSERT_EQ(call("PATCH", "/api/v1/vips/web", kAdminToken,
                 "-d '{\"timeouts\": {\"client_header\": \"9s\"}}'")
                .status,
            200);
  const json review = call("GET", "/api/v1/changes", kReadToken).parsed();
  bool counted = false;
  for (const json& vip : review["impact"]) {
    if (vip["vip"] != "web") continue;
    counted = true;
    EXPECT_EQ(vip["http_connections"], 1) << vip.dump();
    EXPECT_EQ(vip["upgraded_connections"], 1) << vip.dump();
    EXPECT_NE(vip["effect"].get<std::string>().find("1 WebSocket"), std::string::npos);
  }
  EXPECT_TRUE(counted) << review.dump();

  EXPECT_EQ(call("POST", "/api/v1/server_groups/web/servers/a/close", kReadToken).status, 403);
  const Reply closed = call("POST", "/api/v1/server_groups/web/servers/a/close", kAdminToken);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.parsed()["closed"], 1) << "the WebSocket; the idle client only loses its "
                                             "server connection";
  bool eof = false;
  readUntilClose(socket, 5000ms, &eof);
  EXPECT_TRUE(eof);
  ASSERT_TRUE(
      writeAll(client, "GET /echo HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n"));
  EXPECT_NE(readUntilClose(client, 5000ms).find("X-Origin: a"), std::string::npos)
      << "its next request is served on a new server connection";
  ::close(socket);
  ::close(client);
  EXPECT_EQ(call("POST", "/api/v1/server_groups/web/servers/zz/close", kAdminToken).status, 404);
}

TEST_F(AdminApiTest, WhileDrainingLiveOperationsAndAppliesAreRefusedAtOnce) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // A WebSocket keeps the drain going (up to global.drain_timeout).
  const int socket = connectLocal(web_);
  ASSERT_TRUE(writeAll(socket,
                       "GET /ws HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\n"
                       "Upgrade: websocket\r\n\r\n"));
  ASSERT_NE(readUntil(socket, "\r\n\r\n", 5000ms).find("101"), std::string::npos);
  ASSERT_EQ(call("PATCH", "/api/v1/vips/shop", kAdminToken, "-d '{\"active\": false}'").status,
            200);
  const std::string etag = call("GET", "/api/v1/changes", kReadToken).header("ETag");
  sluice.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return call("GET", "/readyz").status == 503; }, 5000ms));
  EXPECT_EQ(
      callJson("POST", "/api/v1/server_groups/web/servers/a/weight", kAdminToken, {{"weight", 4}})
          .status,
      503);
  EXPECT_EQ(call("POST", "/api/v1/server_groups/web/servers/a/close", kAdminToken).status, 503);
  EXPECT_EQ(call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etag + "'").status, 503);
  ::close(socket);
  EXPECT_EQ(sluice.waitExit(), 0) << sluice.stderrText();
}

}  // namespace
}  // namespace sluice::test
