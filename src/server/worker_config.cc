#include "server/worker_config.h"

namespace sluice {

WorkerConfig::WorkerConfig(std::shared_ptr<const ConfigSnapshot> snap, unsigned workerId)
    : snapshot(std::move(snap)) {
  groups.reserve(snapshot->serverGroups.size());
  for (const ServerGroupConfig& group : snapshot->serverGroups) {
    groups.push_back(std::make_unique<ServerGroup>(group, workerId, snapshot->workerCount()));
  }
}

}  // namespace sluice
