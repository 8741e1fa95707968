#include "http/hop_by_hop.h"

#include <array>

#include "http/ascii.h"

namespace sluice {

bool isHopByHop(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kHopByHop = {
      "connection", "keep-alive", "proxy-connection", "te",
      "trailer",    "upgrade",    "transfer-encoding"};
  for (std::string_view hop : kHopByHop) {
    if (equalsIgnoreCase(name, hop)) return true;
  }
  return false;
}

bool namedByConnection(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const HttpHeader& header : headers) {
    if (!equalsIgnoreCase(header.name, "connection")) continue;
    std::string_view tokens = header.value;
    while (!tokens.empty()) {
      const size_t comma = tokens.find(',');
      if (equalsIgnoreCase(trimWhitespace(tokens.substr(0, comma)), name)) return true;
      tokens = comma == std::string_view::npos ? std::string_view() : tokens.substr(comma + 1);
    }
  }
  return false;
}

}  // namespace sluice
