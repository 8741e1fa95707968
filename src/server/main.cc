// The sluice command: run, check, demo.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "config/config_loader.h"
#include "core/log.h"
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
  if (*demo && printConfig) {
    std::printf(
        "# The config `sluice demo` runs. Its certificates are made at start in a\n"
        "# temporary directory, shown here as /tmp/sluice-demo.\n%s",
        sluice::demoConfig("/tmp/sluice-demo").c_str());
    return 0;
  }
  if (*demo) return sluice::runDemo();
  return 0;
}
