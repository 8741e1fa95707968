#include "http/http_request_head.h"

namespace sluice {

void HttpRequestHead::clear() {
  method = target = path = query = host = upgradeProtocol = {};
  versionMajor = versionMinor = 1;
  headers.clear();
  keepAlive = chunked = hasContentLength = upgrade = expectContinue = false;
  contentLength = 0;
}

}  // namespace sluice
