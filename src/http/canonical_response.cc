#include "http/canonical_response.h"

#include "http/ascii.h"
#include "http/hop_by_hop.h"

namespace sluice {

MessageError canonicaliseResponse(HttpResponseHead& head, ConnectionOptions& options) {
  options.clear();
  if (head.status < 100 || head.status > 599) return {502, "response status out of range"};
  int transferEncodings = 0;
  for (const HttpHeader& field : head.headers) {
    if (equalsIgnoreCase(field.name, "connection")) {
      if (!options.add(field.value))
        return {502, "invalid or too many Connection options in a response"};
    } else if (equalsIgnoreCase(field.name, "transfer-encoding")) {
      ++transferEncodings;
      if (!equalsIgnoreCase(trimWhitespace(field.value), "chunked")) {
        return {502, "response Transfer-Encoding other than one chunked"};
      }
    } else if (equalsIgnoreCase(field.name, "upgrade")) {
      head.upgradeProtocol = field.value;
    }
  }
  options.seal();
  if (!options.namedFramingField().empty()) {
    return {502, "a response Connection option names a framing field"};
  }
  if (transferEncodings > 1) return {502, "response Transfer-Encoding other than one chunked"};
  if (transferEncodings == 1 && head.hasContentLength) {
    return {502, "response with both Content-Length and Transfer-Encoding"};
  }
  if (head.status == 101 && head.upgradeProtocol.empty()) return {502, "101 without Upgrade"};
  size_t kept = 0;
  for (const HttpHeader& field : head.headers) {
    if (isHopByHop(field.name) || equalsIgnoreCase(field.name, "content-length") ||
        options.names(field.name)) {
      continue;
    }
    head.headers[kept++] = field;
  }
  head.headers.resize(kept);
  return {};
}

}  // namespace sluice
