#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "balance/server_mask.h"
#include "config/config.h"

namespace sluice {

// What a balancing algorithm knows of one server.
struct BalancerServer {
  std::string key;  // stable identity (name and address): what consistent hashing places
  uint32_t weight = 1;
};

// What a balancing algorithm knows of the connection being placed.
struct PickContext {
  // What consistent hashing places: the client address bytes (source_hash), the request path
  // (uri_hash) or a header value (header_hash).
  std::string_view affinityKey;
  const uint32_t* active = nullptr;  // open connections per server (this worker's count)
};

// A balancing algorithm over one tier of servers (primaries or backups), indices 0..n-1.
// Each worker owns its own instances: state such as round-robin positions is per worker and
// never shared, so pick() takes no lock. pick() must not allocate.
class Balancer {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  virtual ~Balancer() = default;
  // Chooses one server among `candidates` (never empty), or kNone.
  virtual uint32_t pick(const ServerMask& candidates, const PickContext& context) = 0;
};

std::unique_ptr<Balancer> makeBalancer(BalanceAlgorithm algorithm,
                                       const std::vector<BalancerServer>& servers, uint64_t seed);

}  // namespace sluice
