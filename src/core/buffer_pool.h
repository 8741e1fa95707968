#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace sluice {

// One worker's pool of byte buffers, in power-of-two size classes from 4KiB to 1MiB, so that a
// connection that needs a buffer for a while (a ClientHello being peeked) takes one that an
// earlier connection gave back instead of allocating. Single-threaded.
class BufferPool {
 public:
  struct Buffer {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };

  explicit BufferPool(size_t maxIdlePerClass) : maxIdle_(maxIdlePerClass) {}

  // A buffer of at least `minSize` bytes (at most 1MiB is served from the pool).
  Buffer acquire(size_t minSize);
  void release(Buffer buffer);

 private:
  static constexpr size_t kMinShift = 12;  // 4KiB
  static constexpr size_t kClasses = 9;    // up to 1MiB
  static size_t classOf(size_t size);

  size_t maxIdle_;
  std::array<std::vector<Buffer>, kClasses> idle_;
};

}  // namespace sluice
