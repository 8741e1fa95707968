#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/clock.h"

namespace sluice {

class Timer;

// The timers of one event loop: a binary min-heap of deadlines over a slot table.
//
// A heap entry names a slot and the slot's generation when it was armed. Re-arming, cancelling
// or destroying a timer bumps the generation, so stale entries are recognised and dropped when
// they reach the top instead of being searched for and erased. A slot is recycled only through
// a new generation, so an entry can never fire a timer that replaced the one it was armed for.
//
// Single-threaded: owned by one EventLoop and touched only on its thread.
class TimerQueue {
 public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Fires every armed timer whose deadline is at or before `now`, earliest first. A callback
  // may arm, cancel or destroy any timer, itself included.
  void fireDue(TimePoint now);

  // Milliseconds until the earliest deadline (0 if already due), or -1 when nothing is armed;
  // the value epoll_wait() takes as its timeout.
  int msUntilNext(TimePoint now);

 private:
  friend class Timer;
  struct Slot {
    Timer* owner = nullptr;
    uint64_t generation = 0;
    bool armed = false;
  };
  struct Entry {
    TimePoint deadline;
    uint32_t slot;
    uint64_t generation;
  };

  uint32_t acquireSlot(Timer* owner);
  void releaseSlot(uint32_t slot);
  void arm(uint32_t slot, TimePoint deadline);
  void cancel(uint32_t slot);
  bool isArmed(uint32_t slot) const { return slots_[slot].armed; }
  void dropStaleTop();

  std::vector<Slot> slots_;
  std::vector<uint32_t> freeSlots_;
  std::vector<Entry> heap_;
};

// A one-shot timer, owned by whatever it times out (a connection, a health check). Arming an
// armed timer moves its deadline. Destroying it cancels it. Use only on the loop's thread.
class Timer {
 public:
  Timer(TimerQueue& queue, std::function<void()> onFire);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void armAt(TimePoint deadline) { queue_.arm(slot_, deadline); }
  void cancel() { queue_.cancel(slot_); }
  bool armed() const { return queue_.isArmed(slot_); }

 private:
  friend class TimerQueue;
  TimerQueue& queue_;
  uint32_t slot_;
  std::function<void()> onFire_;
};

}  // namespace sluice
