#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "health/health_checker.h"
#include "health/health_registry.h"
#include "metrics/metrics_registry.h"
#include "net/socket.h"
#include "server/worker.h"
#include "worker/access_log.h"

namespace sluice {

// The control plane's one object: what outlives any config snapshot, and the one way to put a
// new snapshot live.
//
// It owns the current snapshot and its revision, the listening sockets keyed by address (a
// reload keeps every port that stays, never closing or re-binding it), the health registry
// that hands each server's state from one snapshot to the next, the workers and the health
// checker. SIGHUP, and later the admin API and the cluster store, all go through publish().
//
// Used from the control thread only; the admin listener reads it through the thread-safe
// accessors marked so.
class Runtime {
 public:
  explicit Runtime(const AccessLog& accessLog);
  ~Runtime();  // closes what is left: call after the workers finished (join())
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Binds every active VIP's address (a port in use is a clear error before any traffic is
  // taken), starts one worker thread per configured worker and the health checker. Returns
  // false, having logged why, when an address cannot be bound.
  bool start(std::shared_ptr<const ConfigSnapshot> snapshot);

  // Puts a validated snapshot live. Everything that can fail happens first: a setting that
  // only a restart can change, or a new address that cannot be bound, rejects the whole
  // snapshot (false, `error` says why) and nothing changes. Then the snapshot gets its server
  // states and revision, every worker adopts it and acknowledges, listeners of addresses no
  // longer served are closed, and the health checker moves to the new servers.
  bool publish(std::shared_ptr<const ConfigSnapshot> snapshot, std::string& error);

  // Stops accepting on every worker, closes the listening sockets (new connections are
  // refused, not queued), and lets open connections finish until global.drain_timeout.
  void drain();
  void closeNow();  // closes every open connection at once
  bool finished() const;
  void join();  // waits for every worker thread to end

  // An operator's live operation on a server (admin API): effective at once on every worker,
  // kept across reloads and, in admin.state_file, across restarts. Thread-safe. False when the
  // current config has no such server (`error` says so; nothing changes) or the state file
  // cannot be written (the operation is in force, `error` says it will not survive a restart).
  // kShuttingDown: a drain has begun; workers that finished take no more operations.
  enum class OperationResult { kDone, kNoSuchServer, kNotSaved, kShuttingDown };
  OperationResult operateServer(const std::string& group, const std::string& server,
                                HealthRegistry::Operation operation, std::string& error);
  // Sets the weight a server gets instead of its config's (none: the config's again). The
  // running snapshot is published again with it (no new revision): new connections and each
  // HTTP connection's next request are balanced by it. Kept like an operation.
  OperationResult setWeight(const std::string& group, const std::string& server,
                            std::optional<uint32_t> weight, std::string& error);
  // Closes every connection to a server now, on every worker: `closed` says how many client
  // connections ended. Not kept: the server gets new connections as before.
  OperationResult closeConnections(const std::string& group, const std::string& server,
                                   size_t& closed, std::string& error);
  // The snapshot as loaded or applied, before live weights (what to publish again to go back
  // to it). Thread-safe.
  std::shared_ptr<const ConfigSnapshot> configured() const;
  // The weights in force instead of the config's, by "group/server". Thread-safe.
  std::map<std::string, uint32_t> liveWeights() const;

  // For each active VIP of `snapshot` on an address not listened on now: whether it could be
  // bound (a test bind, closed at once). Empty when all could; else, by VIP index, why not.
  // Thread-safe.
  std::map<size_t, std::string> testBind(const ConfigSnapshot& snapshot);

  // A reload that did not get as far as publish(): the file was invalid.
  void countInvalidReload() { reloads_[kInvalid].add(); }

  // Thread-safe.
  uint64_t revision() const;
  std::shared_ptr<const ConfigSnapshot> snapshot() const;
  std::shared_ptr<const ServerStates> serverStates() const;
  const MetricsRegistry& metrics() const { return *metrics_; }
  // Reloads by outcome (kReloadResults), and when the last one went live (0: none yet).
  enum ReloadResult { kOk, kInvalid, kRefused };
  static constexpr const char* kReloadResults[] = {"ok", "invalid", "refused"};
  uint64_t reloads(ReloadResult result) const { return reloads_[result].read(); }
  double lastReloadSeconds() const;  // Unix time
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  // Connections a reload left draining, over every worker.
  uint64_t drainingConnections() const;

  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }

 private:
  // One address's sockets, one per worker (SO_REUSEPORT spreads connections over them).
  using Sockets = std::vector<UniqueFd>;

  // publish() once the snapshot is the one to run: `newRevision` false for a republish of the
  // same config with other live weights.
  bool publishLocked(std::shared_ptr<const ConfigSnapshot> snapshot, bool newRevision,
                     std::string& error);
  // `configured` with the live weights in place of the config's (itself when none applies).
  std::shared_ptr<const ConfigSnapshot> withLiveWeights(
      const std::shared_ptr<const ConfigSnapshot>& configured) const;
  bool saveLiveState(std::string& error) const;
  bool bindNewAddresses(const ConfigSnapshot& snapshot, std::map<std::string, Sockets>& added,
                        std::string& error) const;
  std::vector<ListenSocket> listenersOf(const ConfigSnapshot& snapshot, unsigned worker) const;
  std::shared_ptr<const WorkerConfig> workerConfig(
      const std::shared_ptr<const ConfigSnapshot>& snapshot,
      const std::shared_ptr<const ServerStates>& states,
      const std::shared_ptr<const SnapshotMetrics>& metrics, uint64_t revision,
      unsigned worker) const;
  // Runs `step` for every worker and waits until each has called the completion it is given.
  void onEveryWorker(const std::function<void(Worker&, std::function<void()>)>& step);

  const AccessLog& accessLog_;
  unsigned workerCount_ = 0;
  std::mutex controlMutex_;   // one publish() or live operation at a time
  mutable std::mutex mutex_;  // guards snapshot_ and revision_ for readers on other threads
  std::shared_ptr<const ConfigSnapshot> snapshot_;    // what runs: configured_ + live weights
  std::shared_ptr<const ConfigSnapshot> configured_;  // as loaded or applied; guarded by mutex_
  std::map<std::string, uint32_t> weights_;           // guarded by mutex_
  std::shared_ptr<const ServerStates> states_;
  uint64_t revision_ = 0;
  std::unique_ptr<MetricsRegistry> metrics_;
  Counter reloads_[3];
  std::atomic<int64_t> lastReloadMillis_{0};
  std::atomic<bool> draining_{false};
  std::map<std::string, Sockets> listening_;  // by address
  HealthRegistry health_;
  std::unique_ptr<HealthChecker> checker_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace sluice
