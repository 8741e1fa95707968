#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

// One request in its canonical form: built once, after the head is parsed and before rules
// run, and read by everything after (rules, balancing, the access log, the request written to
// the server). Nothing downstream looks at the bytes the client sent: what the rules saw is
// what is forwarded.
//
// Views point into the bytes the parser was fed, which the connection keeps in place until it
// has forwarded the head, or into this head's own storage (a rewritten target).
struct HttpRequestHead {
  std::string_view method;
  // The target as forwarded: origin-form (the normalised path, then `?` and the query as
  // sent), or `*` for OPTIONS. An absolute-form target is reduced to this.
  std::string_view target;
  std::string_view path;   // normalised (see path_normalizer.h); `*` for an asterisk target
  std::string_view query;  // after `?`, as sent; empty when there is none
  unsigned versionMajor = 1;
  unsigned versionMinor = 1;
  // End-to-end fields only, in the order received: hop-by-hop fields, those the Connection
  // options name, and the framing fields (Content-Length, Transfer-Encoding) are not here.
  // Host is, with the request's one host. Capacity reused between requests.
  std::vector<HttpHeader> headers;
  std::string_view host;   // the one host: Host (which an absolute-form target agrees with)
  bool keepAlive = false;  // the client wants the connection kept after this request
  // The body's framing, which Sluice writes anew: a chunked body is re-chunked.
  bool chunked = false;
  bool hasContentLength = false;
  uint64_t contentLength = 0;
  bool upgrade = false;              // a WebSocket upgrade (GET, no body): 101 makes it a relay
  std::string_view upgradeProtocol;  // the Upgrade value forwarded with it
  bool expectContinue = false;       // Expect: 100-continue from an HTTP/1.1 client

  bool hasBody() const { return chunked || contentLength > 0; }
  void clear();

  // Storage for a target that had to be rewritten, and a scratch space for doing so; their
  // capacity is kept between requests.
  std::string targetStorage;
  std::string scratch;
};

}  // namespace sluice
