// The admin API's OpenAPI document, checked by tools from npm against a running Sluice: valid
// OpenAPI 3.1, every operation called, every answer's status declared and its body accepted by
// the declared schema (test/js/check_openapi.mjs; `make test` installs test/js's packages).

#include <gtest/gtest.h>

#include <filesystem>

#include "integration/admin_api_fixture.h"

namespace sluice::test {
namespace {

TEST_F(AdminApiTest, TheOpenApiDocumentIsValidAndDescribesEveryAnswer) {
  const std::string tools = SLUICE_PROJECT_DIR "/test/js";
  ASSERT_TRUE(std::filesystem::exists(SLUICE_PROJECT_DIR
                                      "/test/js/node_modules/@apidevtools/swagger-parser"))
      << "the test tools are not installed: make deps-test-js (npm ci in test/js)";
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::string out;
  const int status =
      runCommand("node " + tools + "/check_openapi.mjs http://127.0.0.1:" + std::to_string(admin_) +
                     " " + kAdminToken + " 2>&1",
                 out);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(" 0 failure(s)"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::test
