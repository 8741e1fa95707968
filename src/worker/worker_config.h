#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "balance/server_group.h"
#include "config/config.h"
#include "health/server_states.h"
#include "metrics/metrics_registry.h"

namespace sluice {

// One worker's runtime view of one published config: the immutable snapshot, the live state of
// its servers, its revision, this worker's own copy of its counters, and this worker's own
// balancing state for each of its server groups. A connection holds a shared_ptr to the
// WorkerConfig it runs under, which keeps all of that alive until it closes or moves to a newer one
// (HTTP connections move at their next request; layer-4 relays never do).
struct WorkerConfig {
  // `workerId` seeds each group's balancer, so that workers start their rotations at different
  // servers and draw different random numbers.
  WorkerConfig(std::shared_ptr<const ConfigSnapshot> snapshot,
               std::shared_ptr<const ServerStates> states,
               std::shared_ptr<const SnapshotMetrics> metrics, uint64_t revision,
               unsigned workerId);

  // This worker's counters of VIP `vip`, of group `group` and of one of its servers (indices
  // into the snapshot).
  VipCounters& vipCounters(size_t vip) const { return metrics->vips[vip]->of(worker); }
  VipCounters& vipCounters(const VipConfig& vip) const {
    return vipCounters(static_cast<size_t>(&vip - snapshot->vips.data()));
  }
  GroupCounters& groupCounters(size_t group) const { return metrics->groups[group]->of(worker); }
  ServerCounters& serverCounters(size_t group, size_t server) const {
    return metrics->servers[group][server]->of(worker);
  }

  // The VIP of this config that serves what `vip` (of an older one) served: same name, still
  // active, same address and service. Null when a reload removed or changed it: its
  // connections drain.
  const VipConfig* successorOf(const VipConfig& vip) const;
  // Whether server `server` of `group` (of an older config) is still in this one, by group and
  // server name at the same address: a relay to it may go on.
  bool stillHas(const ServerGroupConfig& group, uint32_t server) const;

  std::shared_ptr<const ConfigSnapshot> snapshot;
  std::shared_ptr<const ServerStates> states;
  std::shared_ptr<const SnapshotMetrics> metrics;
  uint64_t revision;
  unsigned worker;
  std::vector<std::unique_ptr<ServerGroup>> groups;  // parallel to snapshot->serverGroups

 private:
  std::unordered_map<std::string_view, size_t> vipsByName_;
  std::unordered_map<std::string_view, size_t> groupsByName_;
};

}  // namespace sluice
