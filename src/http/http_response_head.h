#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "http/http_request_head.h"

namespace sluice {

// A response head from a server, in canonical form (canonical_response.h). Views point into
// the bytes fed to the parser.
struct HttpResponseHead {
  unsigned status = 0;
  unsigned versionMinor = 1;
  std::string_view reason;
  // End-to-end fields only: hop-by-hop fields, those the Connection options name and the
  // framing fields are not here (Sluice writes the framing it forwards the body with).
  std::vector<HttpHeader> headers;
  bool keepAlive = false;  // the server lets the connection be reused after this response
  bool chunked = false;
  bool hasContentLength = false;
  uint64_t contentLength = 0;
  bool upgrade = false;              // 101 Switching Protocols: what follows is not HTTP
  std::string_view upgradeProtocol;  // a 101's Upgrade value

  void clear();
};

}  // namespace sluice
