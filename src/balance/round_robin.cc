#include "balance/round_robin.h"

namespace sluice {

RoundRobinBalancer::RoundRobinBalancer(const std::vector<BalancerServer>& servers, uint64_t seed)
    : current_(servers.size(), 0) {
  uint64_t total = 0;
  for (const auto& server : servers) {
    weight_.push_back(server.weight);
    total += server.weight;
  }
  if (total == 0) return;
  const ServerMask all = ServerMask::all(static_cast<uint32_t>(servers.size()));
  for (uint64_t skip = seed % total; skip > 0; --skip)
    pick(all, {});
}

uint32_t RoundRobinBalancer::pick(const ServerMask& candidates, const PickContext&) {
  int64_t total = 0;
  uint32_t best = kNone;
  for (uint32_t i = 0; i < weight_.size(); ++i) {
    if (!candidates.contains(i)) continue;
    current_[i] += weight_[i];
    total += weight_[i];
    if (best == kNone || current_[i] > current_[best]) best = i;
  }
  if (best != kNone) current_[best] -= total;
  return best;
}

}  // namespace sluice
