#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

// Every timeout in Sluice is measured on the monotonic clock, in milliseconds: wall-clock jumps
// (NTP, an operator's `date -s`) must never fire or postpone a timer.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

// Microseconds from `from` to `to`, 0 if `to` is earlier: what the duration histograms take.
inline uint64_t microsBetween(TimePoint from, TimePoint to) {
  return to > from ? static_cast<uint64_t>(
                         std::chrono::duration_cast<std::chrono::microseconds>(to - from).count())
                   : 0;
}

}  // namespace sluice
