#include "server/admin/event_bus.h"

namespace sluice {

void EventBus::publish(const std::string& type, nlohmann::json data) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(Event{next_++, type, std::move(data)});
    if (events_.size() > kKept) events_.pop_front();
  }
  arrived_.notify_all();
}

std::deque<EventBus::Event> EventBus::since(uint64_t after, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, wait, [&] { return stopped_ || next_ - 1 > after; });
  std::deque<Event> out;
  for (const Event& event : events_) {
    if (event.id > after) out.push_back(event);
  }
  return out;
}

void EventBus::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  arrived_.notify_all();
}

bool EventBus::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

uint64_t EventBus::last() const {
  std::lock_guard lock(mutex_);
  return next_ - 1;
}

}  // namespace sluice
