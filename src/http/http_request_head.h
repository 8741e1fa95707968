#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice {

struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

// A request head as the proxy needs it. The views point into the bytes the parser was fed,
// which the connection keeps in place until it has forwarded the head.
struct HttpRequestHead {
  std::string_view method;
  std::string_view target;
  unsigned versionMajor = 1;
  unsigned versionMinor = 1;
  std::vector<HttpHeader> headers;  // in order, as received; capacity reused between requests
  std::string_view host;
  bool keepAlive = false;  // the client wants the connection kept after this request
  bool chunked = false;    // Transfer-Encoding: chunked
  bool hasContentLength = false;
  uint64_t contentLength = 0;
  bool upgrade = false;         // Connection: upgrade with an Upgrade header (WebSocket)
  bool expectContinue = false;  // Expect: 100-continue

  void clear();
};

}  // namespace sluice
