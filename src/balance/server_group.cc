#include "balance/server_group.h"

#include <algorithm>

namespace sluice {

ServerGroup::ServerGroup(const ServerGroupConfig& config, const ServerStates::Group& health,
                         uint64_t seed, unsigned workers, Counters counters)
    : config_(config),
      counters_(std::move(counters)),
      local_(config.servers.size()),
      failures_(config.servers.size(), 0),
      maxPerWorker_(config.maxConnections == 0
                        ? 0
                        : (config.maxConnections + workers - 1) / std::max(workers, 1u)),
      random_(seed * 0x9e3779b97f4a7c15ULL + 1) {
  for (const auto& state : health)
    health_.push_back(state.get());
  if (!counters_.group) {
    ownGroupCounters_ = std::make_unique<GroupCounters>();
    ownServerCounters_.reset(new ServerCounters[config.servers.size()]);
    counters_.group = ownGroupCounters_.get();
    counters_.servers.clear();
    for (size_t i = 0; i < config.servers.size(); ++i)
      counters_.servers.push_back(&ownServerCounters_[i]);
  }
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

bool ServerGroup::available(uint32_t server, TimePoint now) const {
  if (!health_.empty() && !health_[server]->routable(now)) return false;
  return maxPerWorker_ == 0 || activeConnections(server) < maxPerWorker_;
}

bool ServerGroup::allFull(TimePoint now) const {
  if (maxPerWorker_ == 0) return false;
  bool someUp = false;
  for (uint32_t i = 0; i < config_.servers.size(); ++i) {
    if (!health_.empty() && !health_[i]->routable(now)) continue;
    if (activeConnections(i) < maxPerWorker_) return false;
    someUp = true;
  }
  return someUp;
}

// In its slow-start window, a server back up is skipped with probability 1 - elapsed/window.
bool ServerGroup::rampingUp(uint32_t server, TimePoint now) {
  if (config_.slowStart.count() == 0 || health_.empty()) return false;
  const int64_t since = health_[server]->upSince();
  if (since == 0) return false;
  const auto elapsed = now - TimePoint(TimePoint::duration(since));
  if (elapsed >= config_.slowStart) return false;
  random_ ^= random_ << 13;
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  const double share = std::chrono::duration<double>(elapsed) / config_.slowStart;
  return static_cast<double>(random_ % 10000) / 10000.0 >= share;
}

uint32_t ServerGroup::pickIn(Tier& tier, const ServerMask& excluded, std::string_view affinityKey,
                             TimePoint now) {
  const uint32_t n = static_cast<uint32_t>(tier.members.size());
  ServerMask candidates(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t server = tier.members[i];
    if (!excluded.contains(server) && available(server, now)) candidates.insert(i);
  }
  if (candidates.empty()) return kNone;
  uint32_t chosen = tier.balancer->pick(candidates, PickContext{affinityKey, tier.active.data()});
  if (chosen != kNone && rampingUp(tier.members[chosen], now)) {
    // Give its turn to another server, if there is one.
    candidates.erase(chosen);
    if (!candidates.empty()) {
      chosen = tier.balancer->pick(candidates, PickContext{affinityKey, tier.active.data()});
    }
  }
  return chosen == kNone ? kNone : tier.members[chosen];
}

uint32_t ServerGroup::pick(const ServerMask& excluded, std::string_view affinityKey,
                           TimePoint now) {
  const uint32_t server = pickIn(primary_, excluded, affinityKey, now);
  if (server != kNone) return server;
  return pickIn(backup_, excluded, affinityKey, now);
}

bool ServerGroup::noteFailure(uint32_t server, TimePoint now) {
  const PassiveHealthConfig& passive = config_.passive;
  if (passive.consecutiveFailures == 0 || health_.empty()) return false;
  if (++failures_[server] < passive.consecutiveFailures) return false;
  failures_[server] = 0;
  // Requests in flight when the server went bad keep failing after it was ejected (here or on
  // another worker): they belong to the same outage.
  if (!health_[server]->ejectOnce(now, now + passive.ejection)) return false;
  counters(server).ejections.add();
  return true;
}

}  // namespace sluice
