#include "http/hop_by_hop.h"

#include <array>

#include "http/ascii.h"

namespace sluice {

bool isHopByHop(std::string_view name) {
  // `Close` is a reserved field name (RFC 9110 §18.4): forwarded next to the `Connection: close`
  // Sluice may write, the next hop would take it for a field that option names.
  static constexpr std::array<std::string_view, 8> kHopByHop = {
      "connection", "keep-alive", "proxy-connection",  "te",
      "trailer",    "upgrade",    "transfer-encoding", "close"};
  for (std::string_view hop : kHopByHop) {
    if (equalsIgnoreCase(name, hop)) return true;
  }
  return false;
}

bool isForwardingClaim(std::string_view name) {
  return startsWithIgnoreCase(name, "x-forwarded-") || equalsIgnoreCase(name, "x-real-ip") ||
         equalsIgnoreCase(name, "forwarded");
}

bool mayForwardTrailer(std::string_view name) {
  static constexpr std::array<std::string_view, 16> kNeverTrailers = {"content-length",
                                                                      "host",
                                                                      "authorization",
                                                                      "proxy-authorization",
                                                                      "cookie",
                                                                      "set-cookie",
                                                                      "expect",
                                                                      "max-forwards",
                                                                      "range",
                                                                      "cache-control",
                                                                      "pragma",
                                                                      "www-authenticate",
                                                                      "proxy-authenticate",
                                                                      "content-encoding",
                                                                      "content-type",
                                                                      "content-range"};
  if (isHopByHop(name) || isForwardingClaim(name) || startsWithIgnoreCase(name, "if-")) {
    return false;
  }
  for (std::string_view never : kNeverTrailers) {
    if (equalsIgnoreCase(name, never)) return false;
  }
  return true;
}

}  // namespace sluice
