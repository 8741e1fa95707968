#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice {

// How a request path is normalised before rules see it and before it is forwarded
// (`vips[].path_normalization`). Without it, `/%61dmin`, `//admin` and `/./admin` each reach
// an application as `/admin` while passing a `path_prefix: /admin` deny. Every step is on by
// default, like Envoy's `normalize_path` with `merge_slashes`.
struct PathNormalization {
  bool decodeUnreserved = true;   // `%61` → `a` (RFC 3986 §6.2.2.2); other escapes upper-cased
  bool removeDotSegments = true;  // `/a/./b/../c` → `/a/c` (RFC 3986 §5.2.4)
  bool mergeSlashes = true;       // `//a///b` → `/a/b`
};

// What an HTTP VIP allows a request to be, and how its canonical form is made
// (http/canonical_request.h).
struct RequestPolicy {
  size_t maxHeaderBytes = 32 * 1024;     // limits.max_header_bytes → 431
  size_t maxHeaders = 100;               // limits.max_headers: fields in a head → 431
  uint64_t maxBody = uint64_t{1} << 30;  // limits.max_body → 413
  PathNormalization paths;               // path_normalization
  // The host of an HTTP/1.0 request that names none (the VIP's address), so that every
  // request forwarded carries one.
  std::string defaultHost;
};

}  // namespace sluice
