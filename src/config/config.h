#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "net/address.h"

namespace sluice {

// The immutable configuration that workers serve. The control thread builds one from YAML
// (config_loader.h), validates it whole, and only then publishes it; a connection holds the
// snapshot it was accepted under until it closes, so a later config never changes a live
// connection's groups or timeouts under it.
//
// Field names follow the YAML keys (docs: README, "Config reference").

enum class ServiceType { kTcp, kHttp, kHttpsPassthrough, kHttpsOffload, kHttpsBridge };
enum class BackendProtocol { kTcp, kHttp, kHttps };
enum class BalanceAlgorithm { kRoundRobin, kLeastConn, kSourceHash, kRandomTwo };

const char* toString(ServiceType service);
const char* toString(BalanceAlgorithm balance);

struct ServerConfig {
  std::string name;
  SocketAddress address;
  uint32_t weight = 1;
  bool backup = false;  // receives traffic only when no primary server can be used
};

struct ServerGroupConfig {
  std::string name;
  BackendProtocol protocol = BackendProtocol::kTcp;
  BalanceAlgorithm balance = BalanceAlgorithm::kRoundRobin;
  uint32_t retries = 2;  // further servers tried after a failed connect
  Millis connectTimeout{3000};
  Millis idleTimeout{300000};
  std::vector<ServerConfig> servers;
};

struct VipConfig {
  std::string name;
  SocketAddress listen;
  ServiceType service = ServiceType::kTcp;
  bool active = true;  // false: kept in config, nothing listens
  std::string defaultGroup;
  size_t defaultGroupIndex = 0;  // index into ConfigSnapshot::serverGroups
};

struct GlobalConfig {
  unsigned workers = 0;  // 0: one per core
  Millis drainTimeout{30000};
  std::string accessLog = "stdout";  // stdout | off | a file path
  uint64_t maxConnections = 100000;  // client connections open at once, across all workers
  int listenBacklog = 4096;
  // Capacity of each relay pipe. Larger pipes move more per splice() call (less CPU per MiB);
  // a pipe is held only while its direction has bytes in flight.
  uint64_t pipeSize = 1 << 20;
};

struct ConfigSnapshot {
  std::string sourcePath;
  GlobalConfig global;
  std::vector<ServerGroupConfig> serverGroups;
  std::vector<VipConfig> vips;

  // The worker count in force: `workers`, or the number of cores when it is `auto`.
  unsigned workerCount() const;
};

}  // namespace sluice
