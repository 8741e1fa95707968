// Every error status of the admin API, one table: what was sent, what must come back. Each
// answer is application/problem+json whose `status` is the HTTP status.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/admin_api_fixture.h"

namespace sluice::test {
namespace {

struct Case {
  const char* what;
  std::string method;
  std::string path;
  std::string token;  // "admin", "read", "bad" or none
  std::string flags;  // curl's: -d, -H, ...
  int status;
};

TEST_F(AdminApiTest, EveryErrorHasItsStatusAndAProblemBody) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string vip = R"({"name": "new", "listen": "127.0.0.1:)" + std::to_string(freePort()) +
                          R"(", "service": "http", "default_group": "web"})";
  const std::string big = "/tmp/sluice-api-big-" + std::to_string(admin_) + ".json";
  { std::ofstream(big) << "{\"name\": \"" << std::string(70 * 1024, 'x') << "\"}"; }
  const std::vector<Case> cases = {
      {"no token", "GET", "/api/v1/status", "", "", 401},
      {"a token nobody has", "GET", "/api/v1/status", "bad", "", 401},
      {"a read token writing", "POST", "/api/v1/vips", "read", "-d '" + vip + "'", 403},
      {"a host name not allowed", "GET", "/api/v1/status", "read", "-H 'Host: evil.example'", 403},
      {"a body that is not JSON", "POST", "/api/v1/vips", "admin", "-d '{'", 400},
      {"an entry without a name", "POST", "/api/v1/vips", "admin", "-d '[]'", 400},
      {"a name taken", "POST", "/api/v1/vips", "admin",
       "-d '{\"name\": \"web\", \"listen\": \"127.0.0.1:1\"}'", 409},
      {"an invalid entry", "POST", "/api/v1/vips", "admin",
       "-d '{\"name\": \"x\", \"listen\": \"nowhere\", \"service\": \"http\", "
       "\"default_group\": \"web\"}'",
       422},
      {"a body too large", "POST", "/api/v1/vips", "admin", "--data-binary @" + big, 413},
      {"no such VIP", "GET", "/api/v1/vips/nope", "read", "", 404},
      {"no such route", "GET", "/api/v1/nothing", "read", "", 404},
      {"a stale entry tag", "PATCH", "/api/v1/vips/web", "admin",
       "-H 'If-Match: \"stale\"' -d '{\"active\": false}'", 412},
      {"a PUT renaming", "PUT", "/api/v1/vips/web", "admin", "-d '{\"name\": \"other\"}'", 400},
      {"a patch renaming", "PATCH", "/api/v1/vips/web", "admin", "-d '{\"name\": \"other\"}'", 400},
      {"a group still used", "DELETE", "/api/v1/server_groups/web", "admin", "", 422},
      {"no such rule", "GET", "/api/v1/vips/web/rules/3", "read", "", 404},
      {"a rule position past the end", "POST", "/api/v1/vips/web/rules?position=5", "admin",
       "-d '{\"match\": {\"any\": true}, \"action\": {\"deny\": 403}}'", 400},
      {"a move without a position", "POST", "/api/v1/vips/web/rules/0/move", "admin",
       "-d '{\"to\": \"first\"}'", 400},
      {"a certificate without PEM", "POST", "/api/v1/certificates", "admin",
       "-d '{\"name\": \"c\", \"cert_pem\": \"x\", \"key_pem\": \"y\"}'", 400},
      {"no such certificate", "GET", "/api/v1/certificates/nope", "read", "", 404},
      {"a config that is not YAML", "PUT", "/api/v1/config", "admin",
       "-H 'Content-Type: application/yaml' --data-binary 'vips: [\"'", 400},
      {"an invalid config", "PUT", "/api/v1/config", "admin", "-d '{\"vips\": 3}'", 422},
      {"an apply without If-Match", "POST", "/api/v1/apply", "admin", "", 428},
      {"an apply of another draft", "POST", "/api/v1/apply", "admin", "-H 'If-Match: \"x\"'", 412},
      {"a confirmation nobody waits for", "POST", "/api/v1/apply/confirm", "admin", "", 409},
      {"an apply with a bad option", "POST", "/api/v1/apply", "admin",
       "-H 'If-Match: \"x\"' -d '{\"confirm_within_s\": -1}'", 400},
      {"no such revision", "GET", "/api/v1/revisions/99", "read", "", 404},
      {"no such revision to restore", "POST", "/api/v1/revisions/99/restore", "admin", "", 404},
      {"no such server", "POST", "/api/v1/server_groups/web/servers/zz/drain", "admin", "", 404},
      {"a weight out of range", "POST", "/api/v1/server_groups/web/servers/a/weight", "admin",
       "-d '{\"weight\": 5000}'", 400},
  };
  for (const Case& c : cases) {
    const std::string token = c.token == "admin"  ? kAdminToken
                              : c.token == "read" ? kReadToken
                              : c.token == "bad"  ? "not-a-token-anyone-has-0000000000"
                                                  : "";
    const Reply reply = call(c.method, c.path, token, c.flags);
    EXPECT_EQ(reply.status, c.status) << c.what << ": " << reply.body;
    EXPECT_NE(reply.header("Content-Type").find("application/problem+json"), std::string::npos)
        << c.what << ": " << reply.headers;
    const json problem = reply.parsed();
    EXPECT_EQ(problem.value("status", 0), c.status) << c.what << ": " << reply.body;
    EXPECT_FALSE(problem.value("title", "").empty()) << c.what;
  }
  std::filesystem::remove(big);
  EXPECT_EQ(call("GET", "/api/v1/status", kReadToken).parsed()["pending_changes"], 0)
      << "nothing refused was staged";
}

TEST_F(AdminApiTest, ValidationTestBindsNewAddressesAndNamesTheOneInUse) {
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  // The origin's own port: free to the config checks, taken on this machine.
  const json taken = {
      {"name", "taken"}, {"listen", a_.address()}, {"service", "http"}, {"default_group", "web"}};
  ASSERT_EQ(callJson("POST", "/api/v1/vips", kAdminToken, taken).status, 201);
  const Reply checked = call("POST", "/api/v1/changes/validate", kAdminToken);
  ASSERT_EQ(checked.status, 200) << checked.body;
  const json result = checked.parsed();
  EXPECT_EQ(result["valid"], false) << result.dump();
  ASSERT_EQ(result["errors"].size(), 1u) << result.dump();
  EXPECT_EQ(result["errors"][0]["pointer"], "/vips/taken/listen");
  EXPECT_NE(result["errors"][0]["message"].get<std::string>().find("in use"), std::string::npos)
      << result.dump();
  // The running addresses themselves are not "in use" to it.
  ASSERT_EQ(call("DELETE", "/api/v1/vips/taken", kAdminToken).status, 204);
  EXPECT_EQ(call("POST", "/api/v1/changes/validate", kAdminToken).parsed()["valid"], true);
}

}  // namespace
}  // namespace sluice::test
