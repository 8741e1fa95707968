#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice {

// A counter with one writer (a worker, or the health checker) and any number of readers (the
// admin thread, summing every writer's copy when /metrics is scraped). The writer's increment is
// a plain load and store, not a locked read-modify-write: no shared atomic on the data path,
// and still no data race for the readers.
class Counter {
 public:
  void add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t read() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Upper bounds (seconds) of the duration histograms' buckets: from half a millisecond, where a
// local upstream connect lands, to ten seconds, past the default timeouts' first steps.
inline constexpr std::array<double, 14> kDurationBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A latency histogram with one writer, as Counter: per-bucket counts (not cumulative: one
// increment per observation), the count and the sum in microseconds. Readers add the buckets up
// into Prometheus' cumulative form.
class DurationHistogram {
 public:
  static constexpr size_t kBuckets = kDurationBuckets.size() + 1;  // the last one is +Inf

  void observeMicros(uint64_t micros) {
    size_t bucket = 0;
    while (bucket < kDurationBuckets.size() &&
           static_cast<double>(micros) > kDurationBuckets[bucket] * 1e6) {
      ++bucket;
    }
    buckets_[bucket].add();
    sumMicros_.add(micros);
  }
  uint64_t bucket(size_t i) const { return buckets_[i].read(); }
  uint64_t sumMicros() const { return sumMicros_.read(); }

 private:
  std::array<Counter, kBuckets> buckets_;
  Counter sumMicros_;
};

}  // namespace sluice
