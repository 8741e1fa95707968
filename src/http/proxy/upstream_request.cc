#include "http/proxy/upstream_request.h"

#include "http/ascii.h"
#include "http/hop_by_hop.h"

namespace sluice {
namespace {

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// An RFC 7239 quoted-string.
void appendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

void writeUpstreamRequestHead(const HttpRequestHead& head, const ForwardingContext& context,
                              std::string& out) {
  out.append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\n");
  const bool trusted = context.clientTrusted;
  std::string forwardedFor;  // a trusted proxy's X-Forwarded-For chain
  std::string forwarded;     // a trusted proxy's Forwarded elements
  bool sawProto = false, sawPort = false;
  for (const HttpHeader& header : head.headers) {  // end-to-end fields only (canonical)
    const std::string_view name = header.name;
    if (context.edits && dropsHeader(*context.edits, name)) continue;
    if (isForwardingClaim(name)) {
      if (!trusted) continue;
      if (equalsIgnoreCase(name, "x-forwarded-for")) {
        forwardedFor.append(forwardedFor.empty() ? "" : ", ").append(header.value);
        continue;
      }
      if (equalsIgnoreCase(name, "forwarded") && context.rfc7239) {
        forwarded.append(forwarded.empty() ? "" : ", ").append(header.value);
        continue;
      }
      sawProto = sawProto || equalsIgnoreCase(name, "x-forwarded-proto");
      sawPort = sawPort || equalsIgnoreCase(name, "x-forwarded-port");
    }
    appendHeader(out, name, header.value);
  }
  if (context.edits) appendEditedHeaders(*context.edits, out);
  // The framing is Sluice's: the body is forwarded as the parser re-frames it.
  if (head.chunked) {
    appendHeader(out, "Transfer-Encoding", "chunked");
  } else if (head.hasContentLength) {
    appendHeader(out, "Content-Length", std::to_string(head.contentLength));
  }
  if (head.upgrade) {
    appendHeader(out, "Connection", "upgrade");
    appendHeader(out, "Upgrade", head.upgradeProtocol);
  }

  const std::string ip = context.client->ipString();
  forwardedFor.append(forwardedFor.empty() ? "" : ", ").append(ip);
  appendHeader(out, "X-Forwarded-For", forwardedFor);
  if (!sawProto) appendHeader(out, "X-Forwarded-Proto", context.scheme);
  if (!sawPort) appendHeader(out, "X-Forwarded-Port", std::to_string(context.vipPort));
  if (context.rfc7239) {
    forwarded.append(forwarded.empty() ? "for=" : ", for=");
    if (context.client->family() == AF_INET6) {
      appendQuoted(forwarded, "[" + ip + "]");
    } else {
      forwarded.append(ip);
    }
    forwarded.append(";proto=").append(context.scheme);
    if (!head.host.empty()) {
      forwarded.append(";host=");
      appendQuoted(forwarded, head.host);
    }
    appendHeader(out, "Forwarded", forwarded);
  }
  out.append("\r\n");
}

}  // namespace sluice
