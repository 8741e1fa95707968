#include "balance/least_conn.h"

namespace sluice {

LeastConnBalancer::LeastConnBalancer(const std::vector<BalancerServer>& servers) {
  for (const auto& server : servers)
    weight_.push_back(server.weight);
}

uint32_t LeastConnBalancer::pick(const ServerMask& candidates, const PickContext& context) {
  const uint32_t n = static_cast<uint32_t>(weight_.size());
  uint32_t best = kNone;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t i = (start_ + k) % n;
    if (!candidates.contains(i)) continue;
    // active[i] / weight[i] < active[best] / weight[best], without division.
    if (best == kNone ||
        uint64_t{context.active[i]} * weight_[best] < uint64_t{context.active[best]} * weight_[i]) {
      best = i;
    }
  }
  start_ = n == 0 ? 0 : (start_ + 1) % n;
  return best;
}

}  // namespace sluice
