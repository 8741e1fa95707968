#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/http2/http2_field_list.h"
#include "http/http_request_head.h"
#include "http/proxy/header_edits.h"
#include "net/address.h"

namespace sluice {

// What the proxy knows about where a request came from, for the forwarded headers.
struct ForwardingContext {
  const SocketAddress* client = nullptr;  // the peer of the client connection
  bool clientTrusted = false;             // the peer is in forwarded_headers.trusted_proxies
  std::string_view scheme;  // "https" on an offload or bridge VIP, "http" on an http VIP
  uint16_t vipPort = 0;     // the port the client connected to
  bool rfc7239 = false;     // also send RFC 7239 Forwarded
  const HeaderEditList* edits = nullptr;  // rules' request header changes, if any
  // The client's address as text, made once per connection (else from `client` each time).
  std::string_view clientIp = {};
};

// Writes the request head to send to a server from the canonical request (canonical_request.h):
// the request line in HTTP/1.1 with the canonical target, the client's end-to-end fields,
// Sluice's own framing, then the forwarded headers.
//
// - The framing is written anew: `Content-Length` as parsed, or `Transfer-Encoding: chunked`
//   for a body the parser re-chunks; a WebSocket upgrade gets `Connection: upgrade` and its
//   `Upgrade`. No other hop-by-hop field is in the canonical request.
// - From a client that is not a trusted proxy, every X-Forwarded-*, X-Real-IP and Forwarded
//   header is dropped, and Sluice's own are set: such headers would otherwise reach the
//   application as if Sluice vouched for them. From a trusted proxy they are kept and
//   extended: X-Forwarded-For gets the peer's address appended (several X-Forwarded-For
//   headers are joined into one), X-Forwarded-Proto and -Port are set only if absent.
// - Host is the request's one host.
// - Rules' header changes apply to the client's headers (see header_edits.h); the forwarded
//   headers are Sluice's and always sent.
// Where the fields of a request to a server go: an HTTP/1.1 head, or HTTP/2 HEADERS.
class UpstreamFieldSink {
 public:
  virtual void field(std::string_view name, std::string_view value) = 0;
  // Between the client's fields and the forwarded ones: the body's framing, in the protocol's
  // own way (Content-Length or chunked on HTTP/1.1; a length, or END_STREAM, on HTTP/2).
  virtual void framing(const HttpRequestHead& head) = 0;

 protected:
  ~UpstreamFieldSink() = default;
};

// The fields of the request to a server, as described below, in order.
void forEachUpstreamRequestField(const HttpRequestHead& head, const ForwardingContext& context,
                                 UpstreamFieldSink& sink);

void writeUpstreamRequestHead(const HttpRequestHead& head, const ForwardingContext& context,
                              std::string& out);

// The same request as HTTP/2 fields for a server of an `http2: true` group: :method, :scheme
// (`scheme`: the server connection's), :authority (the request's one host), :path (the
// canonical target), `te: trailers`, then the fields above without Host and without framing
// but a Content-Length: a body without one ends with the stream.
void writeHttp2UpstreamRequest(const HttpRequestHead& head, const ForwardingContext& context,
                               std::string_view scheme, Http2FieldList& out);

}  // namespace sluice
