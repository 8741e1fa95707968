#include "core/timer_queue.h"

#include <algorithm>

namespace sluice {
namespace {

// std::push_heap builds a max-heap; ordering by "later is smaller" turns it into a min-heap.
template <typename E>
bool laterDeadline(const E& a, const E& b) {
  return a.deadline > b.deadline;
}

}  // namespace

uint32_t TimerQueue::acquireSlot(Timer* owner) {
  uint32_t slot;
  if (!freeSlots_.empty()) {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot].owner = owner;
  slots_[slot].armed = false;
  return slot;
}

void TimerQueue::releaseSlot(uint32_t slot) {
  cancel(slot);
  slots_[slot].owner = nullptr;
  freeSlots_.push_back(slot);
}

void TimerQueue::arm(uint32_t slot, TimePoint deadline) {
  Slot& s = slots_[slot];
  ++s.generation;
  s.armed = true;
  heap_.push_back(Entry{deadline, slot, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), laterDeadline<Entry>);
}

void TimerQueue::cancel(uint32_t slot) {
  Slot& s = slots_[slot];
  ++s.generation;
  s.armed = false;
}

void TimerQueue::dropStaleTop() {
  while (!heap_.empty()) {
    const Entry& top = heap_.front();
    const Slot& s = slots_[top.slot];
    if (s.armed && s.generation == top.generation) return;
    std::pop_heap(heap_.begin(), heap_.end(), laterDeadline<Entry>);
    heap_.pop_back();
  }
}

void TimerQueue::fireDue(TimePoint now) {
  for (;;) {
    dropStaleTop();
    if (heap_.empty() || heap_.front().deadline > now) return;
    const uint32_t slot = heap_.front().slot;
    std::pop_heap(heap_.begin(), heap_.end(), laterDeadline<Entry>);
    heap_.pop_back();
    Slot& s = slots_[slot];
    s.armed = false;
    ++s.generation;
    // The callback may destroy the timer (and so release the slot); nothing here touches the
    // slot after the call.
    s.owner->onFire_();
  }
}

int TimerQueue::msUntilNext(TimePoint now) {
  dropStaleTop();
  if (heap_.empty()) return -1;
  const auto wait = std::chrono::ceil<Millis>(heap_.front().deadline - now).count();
  return wait <= 0 ? 0 : static_cast<int>(std::min<int64_t>(wait, 60'000));
}

Timer::Timer(TimerQueue& queue, std::function<void()> onFire)
    : queue_(queue), slot_(queue.acquireSlot(this)), onFire_(std::move(onFire)) {}

Timer::~Timer() {
  queue_.releaseSlot(slot_);
}

}  // namespace sluice
