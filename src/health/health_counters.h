#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

// Server state changes, process-wide (written by the health checker and by workers ejecting a
// server; read for the totals at exit).
struct HealthCounters {
  std::atomic<uint64_t> wentDown{0};
  std::atomic<uint64_t> cameUp{0};
  std::atomic<uint64_t> ejections{0};
  static HealthCounters& process() {
    static HealthCounters counters;
    return counters;
  }
};

}  // namespace sluice
