// A VIP's rules as an ordered resource of the admin API: inserted at a position, moved, patched
// with an ETag, refused with a pointer when invalid, then applied and seen in traffic.

#include <gtest/gtest.h>

#include "integration/admin_api_fixture.h"

namespace sluice::test {
namespace {

std::string get(uint16_t port, const std::string& path) {
  std::string out;
  runCommand("curl -sS -i --max-time 5 http://127.0.0.1:" + std::to_string(port) + path, out);
  return out;
}

TEST_F(AdminApiTest, RulesAreInsertedMovedPatchedAndAppliedInOrder) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const Reply empty = call("GET", "/api/v1/vips/web/rules", kReadToken);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.parsed()["rules"], json::array());
  EXPECT_EQ(call("GET", "/api/v1/vips/nope/rules", kReadToken).status, 404);

  const json deny = {
      {"name", "no-admin"}, {"match", {{"path_prefix", "/admin"}}}, {"action", {{"deny", 403}}}};
  Reply added = callJson("POST", "/api/v1/vips/web/rules", kAdminToken, deny);
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.header("Location"), "/api/v1/vips/web/rules/0");
  EXPECT_EQ(callJson("POST", "/api/v1/vips/web/rules", kReadToken, deny).status, 403);
  EXPECT_EQ(callJson("POST", "/api/v1/vips/web/rules", kAdminToken, deny).status, 409)
      << "a second rule of the same name";

  const json hello = {{"name", "hello"},
                      {"match", {{"path", "/hello"}}},
                      {"action", {{"respond", {{"status", 200}, {"body", "hi\n"}}}}}};
  added = callJson("POST", "/api/v1/vips/web/rules?position=0", kAdminToken, hello);
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.header("Location"), "/api/v1/vips/web/rules/0");
  EXPECT_EQ(
      callJson("POST", "/api/v1/vips/web/rules?position=9", kAdminToken, json::object()).status,
      400);
  json list = call("GET", "/api/v1/vips/web/rules", kReadToken).parsed()["rules"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "hello");
  EXPECT_EQ(list[1]["name"], "no-admin");

  const Reply moved =
      callJson("POST", "/api/v1/vips/web/rules/no-admin/move", kAdminToken, {{"to", 0}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.parsed()["rules"][0]["name"], "no-admin");
  EXPECT_EQ(call("GET", "/api/v1/vips/web/rules/1", kReadToken).parsed()["name"], "hello");

  // A merge patch of one rule, guarded by that rule's ETag.
  const Reply read = call("GET", "/api/v1/vips/web/rules/hello", kReadToken);
  const json patch = {{"action", {{"respond", {{"body", "hello\n"}}}}}};
  EXPECT_EQ(callJson("PATCH", "/api/v1/vips/web/rules/hello", kAdminToken, patch,
                     "-H 'If-Match: \"stale\"'")
                .status,
            412);
  const Reply patched = callJson("PATCH", "/api/v1/vips/web/rules/hello", kAdminToken, patch,
                                 "-H 'If-Match: " + read.header("ETag") + "'");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.parsed()["action"]["respond"]["status"], 200) << "fields not sent are kept";

  // A rule that would make the config invalid names itself by position.
  const json bad = {{"match", {{"path_prefix", "/api"}}}, {"action", {{"route", "nowhere"}}}};
  const Reply refused = callJson("POST", "/api/v1/vips/web/rules", kAdminToken, bad);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("/vips/web/rules/2/action/route"), std::string::npos) << refused.body;

  const json review = call("GET", "/api/v1/changes", kReadToken).parsed();
  ASSERT_EQ(review["pending"], 1) << review.dump();
  EXPECT_EQ(review["resources"][0]["name"], "web");
  EXPECT_EQ(review["resources"][0]["fields"], json::array({"rules"}));
  const std::string etag = call("GET", "/api/v1/changes", kReadToken).header("ETag");
  ASSERT_EQ(call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etag + "'").status, 200);
  EXPECT_NE(get(web_, "/admin/x").find("HTTP/1.1 403"), std::string::npos);
  EXPECT_NE(get(web_, "/hello").find("hello\n"), std::string::npos);

  // The whole list at once: the way to reorder many, or to clear them.
  const Reply all = call("GET", "/api/v1/vips/web/rules", kReadToken);
  EXPECT_EQ(callJson("PUT", "/api/v1/vips/web/rules", kAdminToken, {{"rules", json::array()}},
                     "-H 'If-Match: \"stale\"'")
                .status,
            412);
  const Reply cleared =
      callJson("PUT", "/api/v1/vips/web/rules", kAdminToken, {{"rules", json::array()}},
               "-H 'If-Match: " + all.header("ETag") + "'");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(call("DELETE", "/api/v1/vips/web/rules/0", kAdminToken).status, 404);
  const json document = call("GET", "/api/v1/config?draft=1", kReadToken).parsed();
  EXPECT_FALSE(document["vips"][0].contains("rules")) << "an empty list leaves no key behind";
}

TEST_F(AdminApiTest, ARuleIsRemovedByNameAndItsVipServesTheDefaultGroupAgain) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  ASSERT_EQ(callJson("POST", "/api/v1/vips/web/rules", kAdminToken,
                     {{"name", "closed"}, {"match", {{"any", true}}}, {"action", {{"deny", 503}}}})
                .status,
            201);
  std::string etag = call("GET", "/api/v1/changes", kReadToken).header("ETag");
  ASSERT_EQ(call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etag + "'").status, 200);
  EXPECT_NE(get(web_, "/echo").find("HTTP/1.1 503"), std::string::npos);
  ASSERT_EQ(call("DELETE", "/api/v1/vips/web/rules/closed", kAdminToken).status, 204);
  etag = call("GET", "/api/v1/changes", kReadToken).header("ETag");
  ASSERT_EQ(call("POST", "/api/v1/apply", kAdminToken, "-H 'If-Match: " + etag + "'").status, 200);
  EXPECT_NE(get(web_, "/echo").find("X-Origin: "), std::string::npos);
}

}  // namespace
}  // namespace sluice::test
