#pragma once

#include "balance/balancer.h"

namespace sluice {

// Least connections, weighted: the candidate with the fewest open connections per unit of
// weight. Ties rotate, so an idle group still spreads new connections instead of piling them
// on the first server.
class LeastConnBalancer final : public Balancer {
 public:
  explicit LeastConnBalancer(const std::vector<BalancerServer>& servers);
  uint32_t pick(const ServerMask& candidates, const PickContext& context) override;

 private:
  std::vector<uint64_t> weight_;
  uint32_t start_ = 0;
};

}  // namespace sluice
