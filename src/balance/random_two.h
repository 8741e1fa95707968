#pragma once

#include "balance/balancer.h"

namespace sluice {

// Power of two random choices: draw two candidates at random (in proportion to weight) and take
// the one with fewer open connections per unit of weight. Nearly as even as least_conn, without
// every worker herding onto the same "least loaded" server at once.
class RandomTwoBalancer final : public Balancer {
 public:
  RandomTwoBalancer(const std::vector<BalancerServer>& servers, uint64_t seed);
  uint32_t pick(const ServerMask& candidates, const PickContext& context) override;

 private:
  uint32_t drawWeighted(const ServerMask& candidates, uint64_t total);
  uint64_t nextRandom();

  std::vector<uint64_t> weight_;
  uint64_t state_;
};

}  // namespace sluice
