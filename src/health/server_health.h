#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.h"

namespace sluice {

// What the control plane knows of one server, shared with every worker through atomics: the
// health checker (its own thread) and passive ejection write it, workers read it at each pick.
// No lock on the data path; a worker sees a change at its next pick.
//
// States, as operators name them: up; down (active checks failed `fall` times); ejected (a
// worker saw `consecutive_failures` in a row; back after the ejection time); draining (finishes
// its connections, gets no new ones); disabled.
class ServerHealth {
 public:
  enum class State : uint8_t { kUp, kDown, kDraining, kDisabled };

  explicit ServerHealth(State initial = State::kUp) : state_(static_cast<uint8_t>(initial)) {}

  State state() const { return static_cast<State>(state_.load(std::memory_order_relaxed)); }
  void setState(State state) {
    state_.store(static_cast<uint8_t>(state), std::memory_order_relaxed);
    if (state == State::kUp) upSince_.store(nowTicks(), std::memory_order_relaxed);
  }

  // Passive ejection: no new traffic until `until`.
  void ejectUntil(TimePoint until) {
    ejectedUntil_.store(until.time_since_epoch().count(), std::memory_order_relaxed);
  }
  // Ejects until `until` unless the server is ejected at `now` already: one outage is one
  // ejection, however many requests and workers see it fail at once. True when this call
  // ejected it (exactly one caller wins a race).
  bool ejectOnce(TimePoint now, TimePoint until) {
    int64_t current = ejectedUntil_.load(std::memory_order_relaxed);
    const int64_t nowCount = now.time_since_epoch().count();
    while (current == 0 || current <= nowCount) {
      if (ejectedUntil_.compare_exchange_weak(current, until.time_since_epoch().count(),
                                              std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }
  bool ejected(TimePoint now) const {
    const int64_t until = ejectedUntil_.load(std::memory_order_relaxed);
    return until != 0 && now.time_since_epoch().count() < until;
  }

  // New connections may go to it now.
  bool routable(TimePoint now) const { return state() == State::kUp && !ejected(now); }
  // When it last came up (for slow start), as a TimePoint's count; 0 if always up.
  int64_t upSince() const { return upSince_.load(std::memory_order_relaxed); }

  static const char* toString(State state);

  // The last active check's outcome, for the admin API's /health (never read on the data path,
  // so a lock is fine here).
  struct CheckRecord {
    int64_t atUnixMillis = 0;  // 0: never checked
    uint64_t latencyMicros = 0;
    bool passed = false;
    std::string reason;  // why it failed, or the status it passed with
  };
  void recordCheck(CheckRecord record) {
    std::lock_guard lock(checkMutex_);
    lastCheck_ = std::move(record);
  }
  CheckRecord lastCheck() const {
    std::lock_guard lock(checkMutex_);
    return lastCheck_;
  }

 private:
  static int64_t nowTicks() { return Clock::now().time_since_epoch().count(); }

  std::atomic<uint8_t> state_;
  std::atomic<int64_t> ejectedUntil_{0};
  std::atomic<int64_t> upSince_{0};
  mutable std::mutex checkMutex_;
  CheckRecord lastCheck_;
};

}  // namespace sluice
