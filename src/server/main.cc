// The sluice command: run, check, demo.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "config/config_loader.h"
#include "core/log.h"
#include "server/admin/api_token.h"
#include "server/admin_cli.h"
#include "server/control_loop.h"
#include "server/demo.h"

namespace {

// Loads a config and prints its warnings and errors; nullptr when it has errors.
std::shared_ptr<const sluice::ConfigSnapshot> loadAndReport(const std::string& path) {
  sluice::ConfigLoadResult result = sluice::loadConfigFile(path);
  for (const std::string& warning : result.warnings)
    sluice::logWarn(path + ": " + warning);
  for (const sluice::ConfigError& error : result.errors) {
    std::fprintf(stderr, "%s\n", error.toString().c_str());
  }
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %zu error(s); nothing was started\n", path.c_str(),
                 result.errors.size());
  }
  return result.snapshot;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sluice: a load balancer for HTTPS and TCP traffic", "sluice"};
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  app.require_subcommand(1);

  std::string configPath;
  CLI::App* run = app.add_subcommand("run", "Serve the VIPs of a config file until SIGTERM");
  run->add_option("-c,--config", configPath, "YAML config file")->required();
  CLI::App* check =
      app.add_subcommand("check", "Validate a config file; print every error; exit 1 if any");
  check->add_option("-c,--config", configPath, "YAML config file")->required();
  CLI::App* demo = app.add_subcommand(
      "demo", "Start demo origins and Sluice in front of them, and print commands to try");
  bool printConfig = false;
  demo->add_flag("--print-config", printConfig,
                 "Print the demo's config (YAML) and exit; its certificates are made at start");

  CLI::App* token = app.add_subcommand(
      "token", "Make an admin API token: print it once, and the admin.tokens line to add");
  std::string tokenName = "ops", tokenRole = "admin";
  token->add_option("--name", tokenName, "The token's name, in the audit log");
  token->add_option("--role", tokenRole, "admin (read and write) or read")
      ->check(CLI::IsMember({"admin", "read"}));

  // The admin API's commands; the listener and token also come from the environment.
  sluice::AdminTarget target;
  target.url = std::getenv("SLUICE_ADMIN") ? std::getenv("SLUICE_ADMIN") : "http://127.0.0.1:9900";
  target.token = std::getenv("SLUICE_TOKEN") ? std::getenv("SLUICE_TOKEN") : "";
  target.caFile = std::getenv("SLUICE_CACERT") ? std::getenv("SLUICE_CACERT") : "";
  auto adminOptions = [&target](CLI::App* command) {
    command->add_option("--admin", target.url,
                        "The admin listener, http:// or https:// (env SLUICE_ADMIN)");
    command->add_option("--token", target.token, "An admin API token (env SLUICE_TOKEN)");
    command->add_option("--cacert", target.caFile,
                        "PEM CA file to verify an https:// listener with, instead of the "
                        "system's (env SLUICE_CACERT)");
  };
  CLI::App* status = app.add_subcommand("status", "Ask a running Sluice what revision it runs");
  adminOptions(status);
  std::string file, comment;
  CLI::App* diff = app.add_subcommand("diff", "Show what a config file would change, and check it");
  diff->add_option("-f,--file", file, "YAML config file")->required();
  adminOptions(diff);
  CLI::App* apply = app.add_subcommand("apply", "Put a config file live through the admin API");
  apply->add_option("-f,--file", file, "YAML config file")->required();
  apply->add_option("--comment", comment, "Kept with the revision");
  adminOptions(apply);
  CLI::App* server = app.add_subcommand(
      "server", "Drain, disable, enable, weigh or close the connections of a server, live");
  std::string operation, serverName, weight;
  server->add_option("operation", operation, "drain, disable, enable, weight or close")
      ->required()
      ->check(CLI::IsMember({"drain", "disable", "enable", "weight", "close"}));
  server->add_option("server", serverName, "GROUP/SERVER")->required();
  server->add_option("weight", weight, "weight: 1 to 1000, or 'config' for the config's");
  adminOptions(server);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A usage error: say what was wrong, then how to use it; exit 2 as command-line tools do.
    std::fprintf(stderr, "sluice: %s\n\n%s", e.what(), app.help().c_str());
    return 2;
  }

  if (*run) {
    auto snapshot = loadAndReport(configPath);
    return snapshot ? sluice::runSluice(snapshot) : 1;
  }
  if (*check) {
    auto snapshot = loadAndReport(configPath);
    if (!snapshot) return 1;
    std::printf("%s: ok (%zu VIPs, %zu server groups)\n", configPath.c_str(), snapshot->vips.size(),
                snapshot->serverGroups.size());
    return 0;
  }
  if (*status) return sluice::cliStatus(target);
  if (*diff) return sluice::cliDiff(target, file);
  if (*apply) return sluice::cliApply(target, file, comment);
  if (*server) return sluice::cliServer(target, operation, serverName, weight);
  if (*token) {
    // What a client sends; only its SHA-256 goes in the config.
    const std::string text = sluice::newApiToken();
    if (text.empty()) {
      std::fprintf(stderr, "sluice: no random bytes for a token\n");
      return 1;
    }
    const std::string hex = sluice::apiTokenSha256(text);
    std::printf(
        "token (shown once; send it as Authorization: Bearer TOKEN):\n  %s\n\n"
        "add under admin.tokens:\n  - {name: %s, role: %s, sha256: %s}\n",
        text.c_str(), tokenName.c_str(), tokenRole.c_str(), hex.c_str());
    return 0;
  }
  if (*demo && printConfig) {
    std::printf(
        "# The config `sluice demo` runs. Its certificates are made at start in a\n"
        "# temporary directory, shown here as /tmp/sluice-demo.\n%s",
        sluice::demoConfig("/tmp/sluice-demo", sluice::apiTokenSha256(sluice::newApiToken()))
            .c_str());
    return 0;
  }
  if (*demo) return sluice::runDemo();
  return 0;
}
