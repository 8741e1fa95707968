#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace sluice {

// `size` bytes as lower-case hex, two digits each, `separator` between bytes ("aa:bb" for
// certificate fingerprints, "" for digests in config files).
inline std::string hexOf(const unsigned char* bytes, size_t size, const char* separator = "") {
  std::string out;
  char two[3];
  for (size_t i = 0; i < size; ++i) {
    if (i > 0) out += separator;
    std::snprintf(two, sizeof two, "%02x", bytes[i]);
    out += two;
  }
  return out;
}

}  // namespace sluice
