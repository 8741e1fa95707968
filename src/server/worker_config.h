#pragma once

#include <memory>
#include <vector>

#include "balance/server_group.h"
#include "config/config.h"

namespace sluice {

// One worker's runtime view of one config snapshot: the snapshot itself plus this worker's own
// balancing state for each of its server groups. A connection holds a shared_ptr to the
// WorkerConfig it was accepted under, which keeps the snapshot, and the groups it counts its
// connection in, alive until it closes — even after a newer config has replaced it.
struct WorkerConfig {
  // `workerId` seeds each group's balancer, so that workers start their rotations at different
  // servers and draw different random numbers.
  WorkerConfig(std::shared_ptr<const ConfigSnapshot> snapshot, unsigned workerId);

  std::shared_ptr<const ConfigSnapshot> snapshot;
  std::vector<std::unique_ptr<ServerGroup>> groups;  // parallel to snapshot->serverGroups
};

}  // namespace sluice
