#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.h"

namespace sluice {

// A set of IPv4 and IPv6 networks written as CIDR (`203.0.113.0/24`, `2001:db8::/32`, or a
// single address), asked whether an address is inside. Built once per config snapshot and
// read-only afterwards.
class CidrSet {
 public:
  // Adds `text`; false (with `why` set) when it is not a network in CIDR notation.
  bool add(std::string_view text, std::string* why = nullptr);
  bool contains(const SocketAddress& address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    std::string bytes;  // 4 or 16 address bytes, host bits zeroed
    unsigned prefix;
  };
  std::vector<Network> networks_;
};

}  // namespace sluice
