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

void forEachUpstreamRequestField(const HttpRequestHead& head, const ForwardingContext& context,
                                 UpstreamFieldSink& sink) {
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
    sink.field(name, header.value);
  }
  if (context.edits) {
    forEachEditedHeader(*context.edits, [&](std::string_view name, std::string_view value) {
      sink.field(name, value);
    });
  }
  // The framing is Sluice's: the body is forwarded as the parser re-frames it.
  sink.framing(head);

  std::string ownIp;
  std::string_view ip = context.clientIp;
  if (ip.empty()) ip = ownIp = context.client->ipString();
  forwardedFor.append(forwardedFor.empty() ? "" : ", ").append(ip);
  sink.field("X-Forwarded-For", forwardedFor);
  if (!sawProto) sink.field("X-Forwarded-Proto", context.scheme);
  if (!sawPort) sink.field("X-Forwarded-Port", std::to_string(context.vipPort));
  if (context.rfc7239) {
    forwarded.append(forwarded.empty() ? "for=" : ", for=");
    if (context.client->family() == AF_INET6) {
      appendQuoted(forwarded, "[" + std::string(ip) + "]");
    } else {
      forwarded.append(ip);
    }
    forwarded.append(";proto=").append(context.scheme);
    if (!head.host.empty()) {
      forwarded.append(";host=");
      appendQuoted(forwarded, head.host);
    }
    sink.field("Forwarded", forwarded);
  }
}

void writeUpstreamRequestHead(const HttpRequestHead& head, const ForwardingContext& context,
                              std::string& out) {
  // HTTP/1.1: the request line, the fields, Sluice's framing, and the empty line.
  struct Http1Head final : UpstreamFieldSink {
    explicit Http1Head(std::string& o) : out(o) {}
    void field(std::string_view name, std::string_view value) override {
      appendHeader(out, name, value);
    }
    void framing(const HttpRequestHead& h) override {
      if (h.chunked) {
        appendHeader(out, "Transfer-Encoding", "chunked");
      } else if (h.hasContentLength) {
        appendHeader(out, "Content-Length", std::to_string(h.contentLength));
      }
      if (h.upgrade) {
        appendHeader(out, "Connection", "upgrade");
        appendHeader(out, "Upgrade", h.upgradeProtocol);
      }
    }
    std::string& out;
  } sink(out);
  out.append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\n");
  forEachUpstreamRequestField(head, context, sink);
  out.append("\r\n");
}

void writeHttp2UpstreamRequest(const HttpRequestHead& head, const ForwardingContext& context,
                               std::string_view scheme, Http2FieldList& out) {
  // HTTP/2: the pseudo-fields, then the same fields as over HTTP/1.1 but for Host (it is
  // :authority) and anything connection-specific (RFC 9113 §8.2.2).
  struct Http2Head final : UpstreamFieldSink {
    explicit Http2Head(Http2FieldList& o) : out(o) {}
    void field(std::string_view name, std::string_view value) override {
      if (equalsIgnoreCase(name, "host") || isHopByHop(name)) return;
      out.add(name, value);
    }
    void framing(const HttpRequestHead& h) override {
      if (h.hasContentLength) out.add("content-length", std::to_string(h.contentLength));
    }
    Http2FieldList& out;
  } sink(out);
  out.clear();
  out.add(":method", head.method);
  out.add(":scheme", scheme);
  if (!head.host.empty()) out.add(":authority", head.host);
  out.add(":path", head.target);
  // Sluice takes trailers from an HTTP/2 server (gRPC's status comes in them).
  out.add("te", "trailers");
  forEachUpstreamRequestField(head, context, sink);
}

}  // namespace sluice
