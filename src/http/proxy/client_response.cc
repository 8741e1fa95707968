#include "http/proxy/client_response.h"

#include "http/ascii.h"
#include "http/hop_by_hop.h"

namespace sluice {

void writeClientResponseHead(const HttpResponseHead& head, const ClientResponseContext& context,
                             std::string& out) {
  out.append("HTTP/1.1 ").append(std::to_string(head.status)).append(" ");
  out.append(head.reason).append("\r\n");
  std::string_view upgrade;
  bool sawHsts = false;
  for (const HttpHeader& header : head.headers) {
    if (isHopByHop(header.name)) {
      if (equalsIgnoreCase(header.name, "upgrade")) upgrade = header.value;
      continue;
    }
    if (namedByConnection(head.headers, header.name)) continue;
    if (context.edits && dropsHeader(*context.edits, header.name)) continue;
    sawHsts = sawHsts || equalsIgnoreCase(header.name, "strict-transport-security");
    out.append(header.name).append(": ").append(header.value).append("\r\n");
  }
  if (context.edits) appendEditedHeaders(*context.edits, out);
  out.append(context.extraLines);
  if (head.chunked) out.append("Transfer-Encoding: chunked\r\n");
  if (!context.hsts.empty() && !sawHsts && head.status >= 200) {
    out.append("Strict-Transport-Security: ").append(context.hsts).append("\r\n");
  }
  if (head.upgrade) {
    out.append("Connection: upgrade\r\nUpgrade: ").append(upgrade).append("\r\n");
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
