#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/component_counters.h"
#include "metrics/prometheus_text.h"

namespace sluice {

// One component's counters, one copy per writer (each worker, then the health checker).
template <typename Counters>
class PerWriter {
 public:
  explicit PerWriter(unsigned writers) : writers_(writers), copies_(new Counters[writers]) {}
  Counters& of(unsigned writer) { return copies_[writer]; }
  const Counters& of(unsigned writer) const { return copies_[writer]; }
  unsigned writers() const { return writers_; }

 private:
  unsigned writers_;
  std::unique_ptr<Counters[]> copies_;
};
using VipMetrics = PerWriter<VipCounters>;
using ServerMetrics = PerWriter<ServerCounters>;
using GroupMetrics = PerWriter<GroupCounters>;

// The counters of one snapshot's VIPs, groups and servers, indexed as the snapshot is. A
// connection's WorkerConfig holds this, so the counters it writes live as long as it does.
struct SnapshotMetrics {
  std::vector<std::shared_ptr<VipMetrics>> vips;
  std::vector<std::shared_ptr<GroupMetrics>> groups;
  std::vector<std::vector<std::shared_ptr<ServerMetrics>>> servers;
};

// Where counters live across reloads: keyed by VIP, group and server name, so a reload keeps
// every count of what it keeps. The control thread hands each new snapshot its counters
// (metricsFor()); the admin thread renders them (render()); workers only ever write their own
// copy through the pointers their WorkerConfig holds. The lock is never taken on the data path.
class MetricsRegistry {
 public:
  // `workers`: the worker count; one more copy is the health checker's.
  explicit MetricsRegistry(unsigned workers) : writers_(workers + 1) {}
  unsigned healthWriter() const { return writers_ - 1; }

  // The counters for `snapshot`'s VIPs, groups and servers: those it keeps, and new ones. Names
  // it no longer has leave the page (their counters live on while old connections hold them).
  std::shared_ptr<const SnapshotMetrics> metricsFor(const ConfigSnapshot& snapshot);

  // Every VIP, group and server family, summed over writers, into `out`.
  void render(PrometheusText& out) const;

  // Each VIP's counters summed over writers, by name (the admin API's /stats).
  struct VipTotals {
    uint64_t accepted = 0, active = 0, bytesIn = 0, bytesOut = 0;
    std::array<uint64_t, kCodeClasses.size()> requests{};
  };
  std::map<std::string, VipTotals> vipTotals() const;
  struct ServerTotals {
    uint64_t connections = 0, connectFailures = 0, ejections = 0;
  };
  std::map<std::pair<std::string, std::string>, ServerTotals> serverTotals() const;

  // Client connections open now on the VIP named `vip` (0 for a name it does not know).
  uint64_t activeConnections(const std::string& vip) const;
  // Of those, the ones upgraded to a byte relay (WebSocket).
  uint64_t activeUpgraded(const std::string& vip) const;

  // Totals over every VIP, for the exit line: accepted connections and each close result.
  struct Totals {
    uint64_t accepted = 0;
    std::array<uint64_t, kCloseResults> closed{};
    uint64_t requests = 0;
    uint64_t serversDown = 0, serversUp = 0, ejections = 0;
  };
  Totals totals() const;

 private:
  template <typename Opened, typename Ended>
  uint64_t stillOpen(const std::string& vip, Opened opened, Ended ended) const;

  unsigned writers_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<VipMetrics>> vips_;
  std::map<std::string, std::shared_ptr<GroupMetrics>> groups_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<ServerMetrics>> servers_;
};

}  // namespace sluice
