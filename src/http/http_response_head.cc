#include "http/http_response_head.h"

namespace sluice {

void HttpResponseHead::clear() {
  status = 0;
  versionMinor = 1;
  reason = upgradeProtocol = {};
  headers.clear();
  keepAlive = chunked = hasContentLength = upgrade = false;
  contentLength = 0;
}

}  // namespace sluice
