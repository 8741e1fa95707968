#pragma once

#include <chrono>

namespace sluice {

// Every timeout in Sluice is measured on the monotonic clock, in milliseconds: wall-clock jumps
// (NTP, an operator's `date -s`) must never fire or postpone a timer.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

}  // namespace sluice
