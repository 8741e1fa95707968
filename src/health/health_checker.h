#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/event_loop.h"
#include "health/server_states.h"
#include "metrics/metrics_registry.h"

namespace sluice {

// Active health checks, off the data path: one thread with its own event loop probes every
// server of every group that has `health:`, each on its own jittered timer, with non-blocking
// connects and reads bounded by the check's timeout. It writes each server's ServerHealth
// (atomics); workers read it at their next pick.
//
// A probe is a TCP connect (`tcp`), a TLS handshake (`tls`), or an HTTP GET over plain TCP or
// TLS (`http`, `https`) whose status must be in the expected range and whose body must contain
// the expected text. `fall` failures in a row take an up server down, `rise` successes bring
// it back; every change is logged with its reason and counted. Servers an operator set to
// draining or disabled are probed but keep that state.
class HealthChecker {
 public:
  // Probes the servers of `snapshot`, writing their `states`. A reload replaces the checker
  // with one for the new snapshot; the states, handed on by the HealthRegistry, carry over.
  // It counts checks and state changes in its own copy (`writer`) of the servers' counters.
  HealthChecker(std::shared_ptr<const ConfigSnapshot> snapshot,
                std::shared_ptr<const ServerStates> states,
                std::shared_ptr<const SnapshotMetrics> metrics, unsigned writer);
  ~HealthChecker();  // stops the thread
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Starts probing (a no-op when no group has checks).
  void start();

 private:
  class Probe;

  std::shared_ptr<const ConfigSnapshot> snapshot_;
  std::shared_ptr<const ServerStates> states_;
  std::shared_ptr<const SnapshotMetrics> metrics_;
  EventLoop loop_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::thread thread_;
};

}  // namespace sluice
