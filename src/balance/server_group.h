#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "balance/balancer.h"
#include "balance/server_mask.h"
#include "config/config.h"
#include "health/server_states.h"
#include "metrics/component_counters.h"

namespace sluice {

// One worker's live view of a configured server group: which server the next connection goes
// to, and how many connections each server has open from this worker.
//
// Servers are balanced in two tiers: primaries, and backups that are used only when no primary
// can be. Each tier has its own balancer over its own members, so backups never dilute the
// primaries' hashing or round-robin order.
//
// Only servers that can take a connection now are candidates: up (not down, draining or
// disabled, as the shared ServerHealth says), not ejected, and under this worker's share of
// `max_connections`. A server in its `slow_start` window is passed over with a probability
// that falls to nothing as the window ends, so its share ramps up.
//
// Passive health: noteFailure() counts a server's failures in a row on this worker; at the
// group's `consecutive_failures` it ejects the server for every worker (ServerHealth).
//
// Owned by one worker (inside its WorkerConfig) and used only on that worker's thread.
// One worker's counters of a group and of each of its servers.
struct ServerGroupCounters {
  GroupCounters* group = nullptr;
  std::vector<ServerCounters*> servers;  // parallel to the servers
};

class ServerGroup {
 public:
  using Counters = ServerGroupCounters;
  static constexpr uint32_t kNone = Balancer::kNone;

  // `health`: the group's servers' shared states (empty: every server is always up).
  // `counters`: where this worker counts (empty: counters of the group's own, for tests).
  // `workers`: how many workers share the group's per-server `max_connections`.
  ServerGroup(const ServerGroupConfig& config, const ServerStates::Group& health, uint64_t seed,
              unsigned workers = 1, Counters counters = {});

  const ServerGroupConfig& config() const { return config_; }
  size_t size() const { return config_.servers.size(); }

  // The server (an index into config().servers) for a new connection, skipping `excluded`
  // (servers this connection already failed to reach): a primary while one is left, else a
  // backup, else kNone.
  uint32_t pick(const ServerMask& excluded, std::string_view affinityKey,
                TimePoint now = Clock::now());
  // Whether `server` could take a new connection now (health and max_connections).
  bool available(uint32_t server, TimePoint now) const;
  // Some server is up but every one is at max_connections: worth waiting for one.
  bool allFull(TimePoint now) const;

  // Outcomes of real traffic, for passive ejection. noteFailure() returns true when it ejected
  // the server.
  bool noteFailure(uint32_t server, TimePoint now);
  void noteSuccess(uint32_t server) { failures_[server] = 0; }

  void connectionOpened(uint32_t server) { ++tierOf(server).active[local_[server]]; }
  void connectionClosed(uint32_t server) { --tierOf(server).active[local_[server]]; }
  uint32_t activeConnections(uint32_t server) const {
    return tierOf(server).active[local_[server]];
  }

  // The shared state of `server` (nullptr when the group was built without one): the same
  // object across reloads that keep the server, so it names the server for live operations.
  const ServerHealth* healthOf(uint32_t server) const {
    return health_.empty() ? nullptr : health_[server];
  }

  GroupCounters& counters() { return *counters_.group; }
  ServerCounters& counters(uint32_t server) { return *counters_.servers[server]; }

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
  uint32_t pickIn(Tier& tier, const ServerMask& excluded, std::string_view affinityKey,
                  TimePoint now);
  bool rampingUp(uint32_t server, TimePoint now);

  const ServerGroupConfig& config_;
  std::vector<ServerHealth*> health_;  // parallel to servers, or empty
  Counters counters_;
  std::unique_ptr<GroupCounters> ownGroupCounters_;  // when none were given
  std::unique_ptr<ServerCounters[]> ownServerCounters_;
  Tier primary_;
  Tier backup_;
  std::vector<uint32_t> local_;     // server index → index within its tier
  std::vector<uint32_t> failures_;  // failures in a row, per server, on this worker
  uint32_t maxPerWorker_ = 0;       // 0: no limit
  uint64_t random_;                 // xorshift state for slow start
};

}  // namespace sluice
