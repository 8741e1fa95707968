#include "balance/maglev.h"

#include <algorithm>

#include "core/hash.h"

namespace sluice {
namespace {

// Table sizes must be prime so that every skip value visits every slot. A larger table spreads
// load more evenly and disturbs fewer clients when the server set changes: at 1,000 slots per
// server, removing one server moves under 1% of the other servers' clients.
constexpr uint32_t kPrimes[] = {4093, 8191, 16381, 32749, 65521};

uint32_t tableSizeFor(size_t servers) {
  for (uint32_t prime : kPrimes) {
    if (prime >= servers * 1000) return prime;
  }
  return kPrimes[std::size(kPrimes) - 1];
}

}  // namespace

MaglevBalancer::MaglevBalancer(const std::vector<BalancerServer>& servers) {
  const size_t n = servers.size();
  if (n == 0) return;
  const uint32_t m = tableSizeFor(n);
  table_.assign(m, Balancer::kNone);

  std::vector<uint64_t> offset(n), skip(n), next(n, 0), filled(n, 0);
  uint32_t maxWeight = 1;
  for (size_t i = 0; i < n; ++i) {
    offset[i] = hashBytes(servers[i].key, 0x6d61676c) % m;
    skip[i] = hashBytes(servers[i].key, 0x65762121) % (m - 1) + 1;
    maxWeight = std::max(maxWeight, servers[i].weight);
  }
  uint32_t placed = 0;
  for (uint64_t round = 1; placed < m; ++round) {
    for (size_t i = 0; i < n && placed < m; ++i) {
      // Weighted turns: by round r a server of weight w has claimed about r*w/maxWeight slots.
      if (filled[i] * maxWeight >= round * servers[i].weight) continue;
      uint64_t slot;
      do {
        slot = (offset[i] + next[i] * skip[i]) % m;
        ++next[i];
      } while (table_[slot] != Balancer::kNone);
      table_[slot] = static_cast<uint32_t>(i);
      ++filled[i];
      ++placed;
    }
  }
}

uint32_t MaglevBalancer::pick(const ServerMask& candidates, const PickContext& context) {
  if (table_.empty()) return kNone;
  const size_t m = table_.size();
  size_t slot = hashBytes(context.affinityKey) % m;
  for (size_t step = 0; step < m; ++step, slot = (slot + 1) % m) {
    if (candidates.contains(table_[slot])) return table_[slot];
  }
  return kNone;
}

}  // namespace sluice
