#pragma once

#include "balance/balancer.h"

namespace sluice {

// Client-IP affinity by Maglev consistent hashing (Eisenbud et al., NSDI 2016). Each server
// fills a prime-sized lookup table along its own permutation, in turns proportional to its
// weight; a client address hashes to one slot. Because permutations depend only on each
// server's own key, removing one of N servers re-homes about 1/N of the clients — those it
// served — and leaves the rest where they were.
//
// When the slot's server is not a candidate (already tried, or down), the table is walked
// forward to the next candidate, which keeps the fallback deterministic per client too.
class MaglevBalancer final : public Balancer {
 public:
  explicit MaglevBalancer(const std::vector<BalancerServer>& servers);
  uint32_t pick(const ServerMask& candidates, const PickContext& context) override;

  size_t tableSize() const { return table_.size(); }

 private:
  std::vector<uint32_t> table_;
};

}  // namespace sluice
