#include "core/buffer_pool.h"

namespace sluice {

size_t BufferPool::classOf(size_t size) {
  size_t c = 0;
  while (c < kClasses && (size_t{1} << (kMinShift + c)) < size)
    ++c;
  return c;  // kClasses when larger than the largest class
}

BufferPool::Buffer BufferPool::acquire(size_t minSize) {
  const size_t c = classOf(minSize);
  if (c < kClasses && !idle_[c].empty()) {
    Buffer buffer = std::move(idle_[c].back());
    idle_[c].pop_back();
    return buffer;
  }
  const size_t size = c < kClasses ? size_t{1} << (kMinShift + c) : minSize;
  return Buffer{std::make_unique_for_overwrite<char[]>(size), size};
}

void BufferPool::release(Buffer buffer) {
  if (!buffer.data) return;
  const size_t c = classOf(buffer.size);
  if (c < kClasses && (size_t{1} << (kMinShift + c)) == buffer.size && idle_[c].size() < maxIdle_) {
    idle_[c].push_back(std::move(buffer));
  }
}

}  // namespace sluice
