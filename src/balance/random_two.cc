#include "balance/random_two.h"

namespace sluice {

RandomTwoBalancer::RandomTwoBalancer(const std::vector<BalancerServer>& servers, uint64_t seed)
    : state_(((seed + 1) * 0x9E3779B97F4A7C15ULL) | 1) {
  for (const auto& server : servers)
    weight_.push_back(server.weight);
}

uint64_t RandomTwoBalancer::nextRandom() {
  // xorshift64*: plenty for spreading load, and per worker, so no shared generator.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 0x2545F4914F6CDD1DULL;
}

uint32_t RandomTwoBalancer::drawWeighted(const ServerMask& candidates, uint64_t total) {
  uint64_t target = nextRandom() % total;
  for (uint32_t i = 0; i < weight_.size(); ++i) {
    if (!candidates.contains(i)) continue;
    if (target < weight_[i]) return i;
    target -= weight_[i];
  }
  return kNone;
}

uint32_t RandomTwoBalancer::pick(const ServerMask& candidates, const PickContext& context) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < weight_.size(); ++i) {
    if (candidates.contains(i)) total += weight_[i];
  }
  if (total == 0) return kNone;
  const uint32_t a = drawWeighted(candidates, total);
  const uint32_t b = drawWeighted(candidates, total);
  if (uint64_t{context.active[b]} * weight_[a] < uint64_t{context.active[a]} * weight_[b]) return b;
  return a;
}

}  // namespace sluice
