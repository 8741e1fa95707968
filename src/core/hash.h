#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

// A fast, well-mixed 64-bit hash of a short byte string (FNV-1a followed by the MurmurHash3
// finaliser, which spreads FNV's weak low bits). Stable across runs and builds, which affinity
// needs: the same client address must land on the same server after a restart, and on every
// node of a cluster. Not for untrusted keys in hash tables (no seed secrecy).
inline uint64_t hashBytes(std::string_view bytes, uint64_t seed = 0) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace sluice
