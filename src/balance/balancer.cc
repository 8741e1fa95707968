#include "balance/balancer.h"

#include "balance/least_conn.h"
#include "balance/maglev.h"
#include "balance/random_two.h"
#include "balance/round_robin.h"

namespace sluice {

std::unique_ptr<Balancer> makeBalancer(BalanceAlgorithm algorithm,
                                       const std::vector<BalancerServer>& servers, uint64_t seed) {
  switch (algorithm) {
    case BalanceAlgorithm::kRoundRobin:
      return std::make_unique<RoundRobinBalancer>(servers, seed);
    case BalanceAlgorithm::kLeastConn:
      return std::make_unique<LeastConnBalancer>(servers);
    case BalanceAlgorithm::kSourceHash:
    case BalanceAlgorithm::kUriHash:
    case BalanceAlgorithm::kHeaderHash:
      return std::make_unique<MaglevBalancer>(servers);
    case BalanceAlgorithm::kRandomTwo:
      return std::make_unique<RandomTwoBalancer>(servers, seed);
  }
  return nullptr;
}

}  // namespace sluice
