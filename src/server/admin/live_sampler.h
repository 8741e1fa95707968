#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/admin/event_bus.h"

namespace sluice {

class Runtime;

// Once a second, off the data path: reads the Runtime's counters to keep each VIP's request and
// connection rates over the last 10 seconds (GET /api/v1/stats), and compares every server's
// state and the revision in force with the last look, publishing what changed on the EventBus
// (a server going down shows in the console within a second, without a reload).
class LiveSampler {
 public:
  LiveSampler(const Runtime& runtime, EventBus& events);
  ~LiveSampler();  // stops the thread

  // Per VIP and server: open connections, rates, totals by status class, bytes.
  nlohmann::json stats() const;

 private:
  struct Sample {
    std::chrono::steady_clock::time_point at;
    uint64_t requests = 0;
    uint64_t accepted = 0;
  };
  void run();
  void sampleOnce();

  const Runtime& runtime_;
  EventBus& events_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::deque<Sample>> vips_;   // last 11 samples, a second apart
  std::map<std::string, std::string> serverStates_;  // "group/server" → state
  uint64_t revision_ = 0;
  std::thread thread_;
};

}  // namespace sluice
