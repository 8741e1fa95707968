#include "http/proxy/client_response.h"

#include "http/ascii.h"

namespace sluice {

ResponseFraming clientFraming(const HttpResponseHead& head, bool requestWasHead,
                              bool clientHttp10) {
  if (head.upgrade || head.status < 200 || requestWasHead || head.status == 204 ||
      head.status == 304) {
    return ResponseFraming::kNone;
  }
  if (head.chunked) return clientHttp10 ? ResponseFraming::kClose : ResponseFraming::kChunked;
  if (head.hasContentLength) return ResponseFraming::kContentLength;
  return ResponseFraming::kClose;
}

void writeClientResponseHead(const HttpResponseHead& head, const ClientResponseContext& context,
                             std::string& out) {
  out.append("HTTP/1.1 ").append(std::to_string(head.status)).append(" ");
  out.append(head.reason).append("\r\n");
  std::string length;
  forEachClientResponseField(head, context, length,
                             [&out](std::string_view name, std::string_view value) {
                               out.append(name).append(": ").append(value).append("\r\n");
                             });
  if (context.framing == ResponseFraming::kChunked) out.append("Transfer-Encoding: chunked\r\n");
  if (head.upgrade) {
    out.append("Connection: upgrade\r\nUpgrade: ").append(head.upgradeProtocol).append("\r\n");
  } else if (head.status >= 200) {
    if (context.close) {
      out.append("Connection: close\r\n");
    } else if (context.clientHttp10) {
      out.append("Connection: keep-alive\r\n");
    }
  }
  out.append("\r\n");
}

}  // namespace sluice
