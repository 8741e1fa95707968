#include "balance/server_group.h"

namespace sluice {

ServerGroup::ServerGroup(const ServerGroupConfig& config, uint64_t seed)
    : config_(config), local_(config.servers.size()) {
  std::vector<BalancerServer> primaries, backups;
  for (uint32_t i = 0; i < config.servers.size(); ++i) {
    const ServerConfig& server = config.servers[i];
    Tier& tier = server.backup ? backup_ : primary_;
    auto& keys = server.backup ? backups : primaries;
    local_[i] = static_cast<uint32_t>(tier.members.size());
    tier.members.push_back(i);
    tier.active.push_back(0);
    keys.push_back({server.name + "@" + server.address.toString(), server.weight});
  }
  primary_.balancer = makeBalancer(config.balance, primaries, seed);
  backup_.balancer = makeBalancer(config.balance, backups, seed ^ 0x9e3779b97f4a7c15ULL);
}

uint32_t ServerGroup::pickIn(Tier& tier, const ServerMask& excluded, std::string_view affinityKey) {
  const uint32_t n = static_cast<uint32_t>(tier.members.size());
  ServerMask candidates(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (!excluded.contains(tier.members[i])) candidates.insert(i);
  }
  if (candidates.empty()) return kNone;
  const uint32_t chosen =
      tier.balancer->pick(candidates, PickContext{affinityKey, tier.active.data()});
  return chosen == kNone ? kNone : tier.members[chosen];
}

uint32_t ServerGroup::pick(const ServerMask& excluded, std::string_view affinityKey) {
  const uint32_t server = pickIn(primary_, excluded, affinityKey);
  if (server != kNone) return server;
  return pickIn(backup_, excluded, affinityKey);
}

}  // namespace sluice
