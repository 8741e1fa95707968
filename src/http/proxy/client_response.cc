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
  bool sawHsts = false;
  for (const HttpHeader& header : head.headers) {
    if (context.edits && dropsHeader(*context.edits, header.name)) continue;
    sawHsts = sawHsts || equalsIgnoreCase(header.name, "strict-transport-security");
    out.append(header.name).append(": ").append(header.value).append("\r\n");
  }
  if (context.edits) appendEditedHeaders(*context.edits, out);
  out.append(context.extraLines);
  switch (context.framing) {
    case ResponseFraming::kNone:
      // A HEAD's or a 304's length is the representation's, not this message's.
      if (head.hasContentLength && head.status >= 200 && head.status != 204) {
        out.append("Content-Length: ").append(std::to_string(head.contentLength)).append("\r\n");
      }
      break;
    case ResponseFraming::kContentLength:
      out.append("Content-Length: ").append(std::to_string(head.contentLength)).append("\r\n");
      break;
    case ResponseFraming::kChunked:
      out.append("Transfer-Encoding: chunked\r\n");
      break;
    case ResponseFraming::kClose:
      break;
  }
  if (!context.hsts.empty() && !sawHsts && head.status >= 200) {
    out.append("Strict-Transport-Security: ").append(context.hsts).append("\r\n");
  }
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
