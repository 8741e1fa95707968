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
//
// A binary prefix trie per address family: a lookup walks at most 32 (IPv4) or 128 (IPv6)
// nodes, whatever the number of networks, and allocates nothing; an access rule with
// thousands of networks costs a request no more than one with a single network.
class CidrSet {
 public:
  // Adds `text`; false (with `why` set) when it is not a network in CIDR notation.
  bool add(std::string_view text, std::string* why = nullptr);
  bool contains(const SocketAddress& address) const;
  bool empty() const { return networks_ == 0; }
  size_t size() const { return networks_; }

 private:
  struct Node {
    uint32_t child[2] = {0, 0};  // index into nodes_; 0: none (the root is never a child)
    bool network = false;        // a network ends here: everything below is inside
  };
  // One trie per family; nodes_[root] is the root.
  void insert(std::vector<Node>& nodes, std::string_view bytes, unsigned prefix);
  static bool lookup(const std::vector<Node>& nodes, std::string_view bytes);

  std::vector<Node> v4_{Node{}};
  std::vector<Node> v6_{Node{}};
  size_t networks_ = 0;
};

}  // namespace sluice
