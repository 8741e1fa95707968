#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "health/server_health.h"

namespace sluice {

// The live state of every server of one config snapshot, indexed as the snapshot's
// serverGroups[g].servers[s]. The snapshot itself stays immutable: health is mutable state that
// outlives it, handed from one snapshot to the next by the HealthRegistry.
struct ServerStates {
  using Group = std::vector<std::shared_ptr<ServerHealth>>;
  std::vector<Group> groups;

  ServerHealth& of(size_t group, size_t server) const { return *groups[group][server]; }
};

}  // namespace sluice
