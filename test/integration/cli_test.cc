// The command line as an operator uses it: check, --version, and errors that say where.

#include <gtest/gtest.h>

#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

TEST(Cli, CheckAcceptsAValidConfig) {
  SluiceProcess check(
      "server_groups:\n  - name: g\n    servers: [{name: s, address: 127.0.0.1:9}]\n"
      "vips:\n  - {name: v, listen: 127.0.0.1:1, service: tcp, default_group: g}\n",
      "check");
  EXPECT_EQ(check.waitExit(), 0) << check.stderrText();
  EXPECT_NE(check.stdoutText().find("ok (1 VIPs, 1 server groups)"), std::string::npos);
}

TEST(Cli, CheckListsEveryErrorWithFileLineAndField) {
  SluiceProcess check(
      "global:\n"
      "  workers: many\n"
      "server_groups:\n"
      "  - name: g\n"
      "    balance: fastest\n"
      "    servers: [{name: s, address: 127.0.0.1:9, wieght: 2}]\n"
      "vips:\n"
      "  - {name: v, listen: 127.0.0.1, service: tcp, default_group: nope}\n",
      "check");
  EXPECT_EQ(check.waitExit(), 1);
  const std::string err = check.stderrText();
  const std::string file = check.configPath();
  EXPECT_NE(err.find(file + ":2:12: global.workers:"), std::string::npos) << err;
  EXPECT_NE(err.find(file + ":5:14: server_groups[0].balance: 'fastest' is not one of"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(file + ":6:47: server_groups[0].servers[0].wieght: unknown key"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(file + ":8:23: vips[0].listen:"), std::string::npos) << err;
  EXPECT_NE(err.find(file + ":8:63: vips[0].default_group: no server group is named 'nope'"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("5 error(s)"), std::string::npos) << err;
}

TEST(Cli, RunRefusesAnInvalidConfigAndStartsNothing) {
  SluiceProcess run("vips: [1, 2]\n", "run");
  EXPECT_FALSE(run.waitReady());
  EXPECT_EQ(run.waitExit(), 1);
  EXPECT_NE(run.stderrText().find("nothing was started"), std::string::npos) << run.stderrText();
}

TEST(Cli, UsageErrorsExit2WithTheUsage) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"run"}, {"frobnicate"}, {"check", "-c"}, {"run", "--nope"}}) {
    SluiceProcess sluice(args);
    EXPECT_EQ(sluice.waitExit(), 2) << sluice.stderrText();
    EXPECT_NE(sluice.stderrText().find("Usage:"), std::string::npos) << sluice.stderrText();
  }
  SluiceProcess help(std::vector<std::string>{"--help"});
  EXPECT_EQ(help.waitExit(), 0);
}

TEST(Cli, CheckOfADirectorySaysSo) {
  SluiceProcess check(std::vector<std::string>{"check", "-c", "/tmp"});
  EXPECT_EQ(check.waitExit(), 1);
  EXPECT_NE(check.stderrText().find("/tmp: is a directory, not a config file"), std::string::npos)
      << check.stderrText();
}

TEST(Cli, MissingFileIsNamed) {
  SluiceProcess run("", "check");
  // The file exists but is empty: the error names it.
  EXPECT_EQ(run.waitExit(), 1);
  EXPECT_NE(run.stderrText().find(run.configPath() + ": the config is empty"), std::string::npos)
      << run.stderrText();
}

TEST(Cli, TokenPrintsATokenOnceAndTheLineWithItsSha256) {
  SluiceProcess token(std::vector<std::string>{"token", "--name", "grafana", "--role", "read"});
  ASSERT_EQ(token.waitExit(), 0) << token.stderrText();
  const std::string out = token.stdoutText();
  const size_t at = out.find("\n  ") + 3;
  const std::string secret = out.substr(at, out.find('\n', at) - at);
  EXPECT_GE(secret.size(), 43u) << "32 random bytes";
  std::string expected;
  runCommand("printf %s '" + secret + "' | sha256sum | cut -d' ' -f1", expected);
  expected.pop_back();
  EXPECT_NE(out.find("- {name: grafana, role: read, sha256: " + expected + "}"), std::string::npos)
      << out;
  SluiceProcess bad(std::vector<std::string>{"token", "--role", "root"});
  EXPECT_EQ(bad.waitExit(), 2);
}

}  // namespace
}  // namespace sluice::test
