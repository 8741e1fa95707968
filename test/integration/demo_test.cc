// `sluice demo` as a newcomer runs it: start it, then run every command it prints.

#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

TEST(Demo, EveryPrintedCommandWorks) {
  SluiceProcess demo(std::vector<std::string>{"demo"});
  ASSERT_TRUE(demo.waitReady()) << demo.stderrText();

  std::vector<std::string> commands;
  std::istringstream lines(demo.stdoutText());
  for (std::string line; std::getline(lines, line);) {
    for (const char* tool : {"  curl ", "  printf ", "  openssl ", "  kill "}) {
      if (line.rfind(tool, 0) == 0) commands.push_back(line);
    }
  }
  ASSERT_GE(commands.size(), 5u) << demo.stdoutText();

  int tcp = 0, passthrough = 0, offload = 0, http = 0, bridge = 0, mixed = 0, denied = 0,
      sticky = 0, metrics = 0, reload = 0, api = 0;
  for (const std::string& command : commands) {
    std::string output;
    EXPECT_EQ(runCommand(command, output), 0) << command << "\n" << output;
    if (command.find("18080") != std::string::npos) {
      EXPECT_NE(output.find("origin-"), std::string::npos) << command << "\n" << output;
      ++tcp;
    }
    if (command.find("18444") != std::string::npos && command.find("/admin") != std::string::npos) {
      EXPECT_NE(output.find("HTTP/2 403"), std::string::npos) << "the offload VIP speaks h2\n"
                                                              << output;
      ++denied;
    } else if (command.find("-c ") != std::string::npos) {
      // Three requests with a cookie jar: one origin.
      const bool a = output.find("origin-a") != std::string::npos;
      const bool b = output.find("origin-b") != std::string::npos;
      EXPECT_TRUE(a != b) << output;
      ++sticky;
    } else if (command.find("18444") != std::string::npos) {
      // HTTP/2: field names in lower case.
      EXPECT_NE(output.find("HTTP/2 200"), std::string::npos) << command << "\n" << output;
      EXPECT_NE(output.find("strict-transport-security: max-age=31536000"), std::string::npos)
          << command << "\n"
          << output;
      EXPECT_NE(output.find("Hello from demo origin"), std::string::npos) << output;
      EXPECT_NE(output.find("set-cookie: SLUICE_SRV="), std::string::npos) << output;
      EXPECT_EQ(output.find("x-demo-origin"), std::string::npos) << "removed by a rule";
      ++offload;
    }
    if (command.find("18088") != std::string::npos) {
      EXPECT_NE(output.find("Hello from demo origin"), std::string::npos) << output;
      ++http;
    }
    if (command.find("18445") != std::string::npos) {
      EXPECT_NE(output.find("HTTPS with its own certificate"), std::string::npos) << output;
      ++bridge;
    }
    if (command.find("18446") != std::string::npos) {
      const char* subject = command.find("alpha.demo.test") != std::string::npos
                                ? "subject=CN = alpha.demo.test"
                                : "subject=CN = shop.demo.test";
      EXPECT_NE(output.find(subject), std::string::npos) << command << "\n" << output;
      ++mixed;
    }
    if (command.find("19900/metrics") != std::string::npos) {
      EXPECT_NE(output.find("sluice_requests_total{vip=\"demo-offload\",code_class=\"2xx\"}"),
                std::string::npos)
          << output;
      ++metrics;
    }
    if (command.find("19900/api/v1/status") != std::string::npos) {
      EXPECT_NE(output.find("\"revision\": 1"), std::string::npos) << "the printed token works\n"
                                                                   << output;
      ++api;
    }
    if (command.rfind("  kill -HUP ", 0) == 0) {
      EXPECT_TRUE(eventually(
          [&] { return demo.stderrText().find("reloaded: revision 2") != std::string::npos; }, 10s))
          << demo.stderrText();
      ++reload;
    }
    if (command.find("18443") != std::string::npos) {
      const bool reached = output.find("HTTPS with its own certificate") != std::string::npos ||
                           output.find("issuer=CN = Sluice Demo CA") != std::string::npos;
      EXPECT_TRUE(reached) << command << "\n" << output;
      ++passthrough;
    }
  }
  EXPECT_GE(tcp, 2);
  EXPECT_EQ(bridge, 1);
  EXPECT_EQ(denied, 1);
  EXPECT_EQ(sticky, 1);
  EXPECT_EQ(mixed, 2);
  EXPECT_GE(passthrough, 3);
  EXPECT_GE(offload, 1);
  EXPECT_GE(http, 1);
  EXPECT_EQ(metrics, 1);
  EXPECT_EQ(reload, 1);
  EXPECT_EQ(api, 1);
  // The console's address and the token to sign in with.
  const std::string out = demo.stdoutText();
  const size_t at = out.find("The console: open http://127.0.0.1:19900/console/");
  ASSERT_NE(at, std::string::npos) << out;
  std::string page;
  EXPECT_EQ(runCommand("curl -sS --max-time 5 http://127.0.0.1:19900/console/", page), 0);
  EXPECT_NE(page.find("<title>Sluice console</title>"), std::string::npos) << page;
  demo.signal(SIGINT);
  EXPECT_EQ(demo.waitExit(), 0) << demo.stderrText();
}

TEST(Demo, PrintConfigShowsTheYamlItRunsAndItPassesCheck) {
  SluiceProcess print(std::vector<std::string>{"demo", "--print-config"});
  ASSERT_EQ(print.waitExit(), 0);
  const std::string yaml = print.stdoutText();
  EXPECT_NE(yaml.find("service: https-passthrough"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  listen: 127.0.0.1:19900"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("role: admin"), std::string::npos) << "a token for the console";
  // Valid as it stands but for the certificates made at start: check parses it and names only
  // those files.
  SluiceProcess check(yaml, "check");
  EXPECT_EQ(check.waitExit(), 1);
  std::istringstream errors(check.stderrText());
  for (std::string line; std::getline(errors, line);) {
    if (line.find("error(s)") != std::string::npos) continue;
    EXPECT_NE(line.find("/tmp/sluice-demo/"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace sluice::test
