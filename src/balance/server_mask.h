#pragma once

#include <cstdint>
#include <vector>

namespace sluice {

// A set of server indices within one balancing tier: which servers a pick may choose from.
// Sets of up to 128 servers live inline, so a connection's choice allocates nothing; larger
// groups spill to the heap.
class ServerMask {
 public:
  explicit ServerMask(uint32_t size) : size_(size) {
    if (size > kInlineBits) spill_.assign((size + 63) / 64, 0);
  }

  static ServerMask all(uint32_t size) {
    ServerMask mask(size);
    for (uint32_t i = 0; i < size; ++i)
      mask.insert(i);
    return mask;
  }

  uint32_t size() const { return size_; }
  bool contains(uint32_t i) const { return i < size_ && (words()[i / 64] >> (i % 64)) & 1; }
  void insert(uint32_t i) { words()[i / 64] |= uint64_t{1} << (i % 64); }
  void erase(uint32_t i) { words()[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  bool empty() const {
    for (uint32_t w = 0; w < (size_ + 63) / 64; ++w) {
      if (words()[w] != 0) return false;
    }
    return true;
  }

 private:
  static constexpr uint32_t kInlineBits = 128;
  uint64_t* words() { return spill_.empty() ? inline_ : spill_.data(); }
  const uint64_t* words() const { return spill_.empty() ? inline_ : spill_.data(); }

  uint32_t size_;
  uint64_t inline_[kInlineBits / 64] = {};
  std::vector<uint64_t> spill_;
};

}  // namespace sluice
