#include "http/proxy/client_response.h"

#include <array>

#include "http/ascii.h"

namespace sluice {
namespace {

bool isHopByHop(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kHopByHop = {
      "connection", "keep-alive", "proxy-connection", "te",
      "trailer",    "upgrade",    "transfer-encoding"};
  for (std::string_view hop : kHopByHop) {
    if (equalsIgnoreCase(name, hop)) return true;
  }
  return false;
}

bool namedByConnection(const HttpResponseHead& head, std::string_view name) {
  for (const HttpHeader& header : head.headers) {
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

}  // namespace

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
    if (namedByConnection(head, header.name)) continue;
    sawHsts = sawHsts || equalsIgnoreCase(header.name, "strict-transport-security");
    out.append(header.name).append(": ").append(header.value).append("\r\n");
  }
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
