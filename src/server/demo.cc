#include "server/demo.h"

#include <cstdio>
#include <thread>

#include "config/config_loader.h"
#include "core/log.h"
#include "server/demo_origin.h"
#include "server/runtime.h"

namespace sluice {
namespace {

// One VIP per service that this version of Sluice offers, each in front of the demo origins.
// Fixed loopback ports keep the printed commands the same from one run to the next.
constexpr const char* kDemoConfig = R"(global:
  workers: 2
  drain_timeout: 5s
  access_log: stdout
server_groups:
  - name: demo-origins
    protocol: tcp
    balance: round_robin
    retries: 1
    timeouts: {connect: 1s, idle: 60s}
    servers:
      - {name: origin-a, address: 127.0.0.1:18081}
      - {name: origin-b, address: 127.0.0.1:18082}
vips:
  - name: demo-tcp
    listen: 127.0.0.1:18080
    service: tcp
    default_group: demo-origins
)";

void printTryCommands() {
  std::printf(
      "\n"
      "Sluice demo is running. Try, from another terminal:\n"
      "\n"
      "  # tcp VIP 127.0.0.1:18080 -> origin-a, origin-b (round robin): run it twice\n"
      "  curl -s http://127.0.0.1:18080/\n"
      "  curl -s http://127.0.0.1:18080/\n"
      "  # any TCP protocol passes through untouched: each line comes back from one origin\n"
      "  printf 'hello\\nworld\\n' | nc -N 127.0.0.1 18080\n"
      "\n"
      "Each connection writes one JSON access-log line below. Stop with Ctrl-C.\n\n");
  std::fflush(stdout);
}

}  // namespace

int runDemo() {
  ConfigLoadResult config = loadConfigText(kDemoConfig, "<demo config>");
  if (!config.ok()) {
    for (const ConfigError& e : config.errors)
      logError(e.toString());
    return 1;
  }
  EventLoop originLoop;
  DemoOrigin origins[2];
  const ServerGroupConfig& group = config.snapshot->serverGroups[0];
  for (size_t i = 0; i < 2; ++i) {
    std::string error;
    if (!origins[i].listen(originLoop, group.servers[i].name, group.servers[i].address, error)) {
      logError("demo origin " + group.servers[i].name + ": " + error +
               " (is another demo already running?)");
      return 1;
    }
  }
  std::thread originThread([&originLoop] { originLoop.run(); });
  printTryCommands();
  const int status = runSluice(config.snapshot);
  originLoop.post([&originLoop] { originLoop.stop(); });
  originThread.join();
  return status;
}

}  // namespace sluice
