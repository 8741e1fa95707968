#pragma once

#include "balance/balancer.h"

namespace sluice {

// Smooth weighted round robin (the nginx algorithm): every pick adds each candidate's weight to
// its running score, takes the highest, and subtracts the total from the winner. Weights 5:1:1
// give a b a a c a a — interleaved, not five in a row — and exact proportions over every
// cycle of sum(weights) picks when the candidates do not change.
class RoundRobinBalancer final : public Balancer {
 public:
  // `seed` sets where in the cycle this instance starts, so that workers, which each keep their
  // own position, do not all send their first connection to the same server.
  RoundRobinBalancer(const std::vector<BalancerServer>& servers, uint64_t seed);
  uint32_t pick(const ServerMask& candidates, const PickContext& context) override;

 private:
  std::vector<int64_t> weight_;
  std::vector<int64_t> current_;
};

}  // namespace sluice
