#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice {

// Maps a client's SNI to a route target (a server-group index) by exact names and one-label
// wildcards: `*.shop.example.test` matches `a.shop.example.test`, not `shop.example.test` nor
// `a.b.shop.example.test`. An exact name beats a wildcard (the longest match); with one-label
// wildcards no two wildcards can match the same name, so a lookup is two hash probes.
//
// Built once per config snapshot, then read-only: shared by all workers without locks.
class SniRouter {
 public:
  static constexpr size_t kNoRoute = std::numeric_limits<size_t>::max();

  // `pattern` must already be validated and normalised (see parsePattern). False when the same
  // pattern is already present.
  bool add(std::string_view pattern, size_t target);
  // `host` must be normalised (lower case, no trailing dot), as ClientHelloPeek gives it.
  size_t route(std::string_view host) const;
  bool empty() const { return exact_.empty() && wildcard_.empty(); }

  // Normalises a route pattern written in config: a host name or `*.` and a host name.
  // False when it is neither.
  static bool parsePattern(std::string_view text, std::string& out);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> exact_;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> wildcard_;  // keyed by suffix
};

}  // namespace sluice
