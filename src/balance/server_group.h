#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "balance/balancer.h"
#include "balance/server_mask.h"
#include "config/config.h"

namespace sluice {

// One worker's live view of a configured server group: which server the next connection goes
// to, and how many connections each server has open from this worker.
//
// Servers are balanced in two tiers: primaries, and backups that are used only when no primary
// can be. Each tier has its own balancer over its own members, so backups never dilute the
// primaries' hashing or round-robin order.
//
// Owned by one worker (inside its WorkerConfig) and used only on that worker's thread.
class ServerGroup {
 public:
  static constexpr uint32_t kNone = Balancer::kNone;

  ServerGroup(const ServerGroupConfig& config, uint64_t seed);

  const ServerGroupConfig& config() const { return config_; }
  size_t size() const { return config_.servers.size(); }

  // The server (an index into config().servers) for a new connection, skipping `excluded`
  // (servers this connection already failed to reach): a primary while one is left, else a
  // backup, else kNone.
  uint32_t pick(const ServerMask& excluded, std::string_view affinityKey);

  void connectionOpened(uint32_t server) { ++tierOf(server).active[local_[server]]; }
  void connectionClosed(uint32_t server) { --tierOf(server).active[local_[server]]; }
  uint32_t activeConnections(uint32_t server) const {
    return tierOf(server).active[local_[server]];
  }

 private:
  struct Tier {
    std::vector<uint32_t> members;  // group-wide server indices
    std::vector<uint32_t> active;   // per member
    std::unique_ptr<Balancer> balancer;
  };

  Tier& tierOf(uint32_t server) { return config_.servers[server].backup ? backup_ : primary_; }
  const Tier& tierOf(uint32_t server) const {
    return config_.servers[server].backup ? backup_ : primary_;
  }
  uint32_t pickIn(Tier& tier, const ServerMask& excluded, std::string_view affinityKey);

  const ServerGroupConfig& config_;
  Tier primary_;
  Tier backup_;
  std::vector<uint32_t> local_;  // server index → index within its tier
};

}  // namespace sluice
