#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace sluice {

// What the console watches live (GET /api/v1/events, Server-Sent Events): server state
// changes, applies and reloads, live operations. Each event has a sequence number; a client
// that reconnects with Last-Event-ID gets what it missed, as far as the last 256 events reach.
// Thread-safe.
class EventBus {
 public:
  struct Event {
    uint64_t id = 0;
    std::string type;
    nlohmann::json data;
  };

  void publish(const std::string& type, nlohmann::json data);
  // Events after `after`, waiting up to `wait` for one to come; empty when none did. `stop`
  // ends every wait (the listener closing).
  std::deque<Event> since(uint64_t after, std::chrono::milliseconds wait);
  void stop();
  bool stopped() const;
  uint64_t last() const;

 private:
  static constexpr size_t kKept = 256;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Event> events_;
  uint64_t next_ = 1;
  bool stopped_ = false;
};

}  // namespace sluice
