#include "worker/worker_config.h"

namespace sluice {

WorkerConfig::WorkerConfig(std::shared_ptr<const ConfigSnapshot> snap,
                           std::shared_ptr<const ServerStates> serverStates,
                           std::shared_ptr<const SnapshotMetrics> counters, uint64_t rev,
                           unsigned workerId)
    : snapshot(std::move(snap)),
      states(std::move(serverStates)),
      metrics(std::move(counters)),
      revision(rev),
      worker(workerId) {
  groups.reserve(snapshot->serverGroups.size());
  for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
    ServerGroup::Counters counters{&groupCounters(g), {}};
    for (size_t s = 0; s < snapshot->serverGroups[g].servers.size(); ++s)
      counters.servers.push_back(&serverCounters(g, s));
    groups.push_back(std::make_unique<ServerGroup>(snapshot->serverGroups[g], states->groups[g],
                                                   workerId, snapshot->workerCount(),
                                                   std::move(counters)));
    groupsByName_.emplace(snapshot->serverGroups[g].name, g);
  }
  for (size_t v = 0; v < snapshot->vips.size(); ++v)
    vipsByName_.emplace(snapshot->vips[v].name, v);
}

const VipConfig* WorkerConfig::successorOf(const VipConfig& vip) const {
  const auto found = vipsByName_.find(vip.name);
  if (found == vipsByName_.end()) return nullptr;
  const VipConfig& now = snapshot->vips[found->second];
  if (!now.active || now.service != vip.service || !(now.listen == vip.listen)) return nullptr;
  return &now;
}

bool WorkerConfig::stillHas(const ServerGroupConfig& group, uint32_t server) const {
  const auto found = groupsByName_.find(group.name);
  if (found == groupsByName_.end()) return false;
  const ServerConfig& was = group.servers[server];
  for (const ServerConfig& now : snapshot->serverGroups[found->second].servers) {
    if (now.name == was.name) return now.address == was.address;
  }
  return false;
}

}  // namespace sluice
