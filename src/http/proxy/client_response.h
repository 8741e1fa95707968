#pragma once

#include <string>
#include <string_view>

#include "http/http1/response_parser.h"
#include "http/proxy/header_edits.h"

namespace sluice {

struct ClientResponseContext {
  std::string_view hsts;                  // a Strict-Transport-Security value to add, or empty
  bool close = false;                     // Sluice closes the client connection after this response
  bool clientHttp10 = false;              // the client spoke HTTP/1.0 and asked for keep-alive
  const HeaderEditList* edits = nullptr;  // rules' response header changes, if any
  std::string_view extraLines;            // complete header lines to add (a sticky Set-Cookie)
};

// Writes the response head to send to the client: the server's status and headers without
// hop-by-hop ones (RFC 9110 §7.6.1), `Transfer-Encoding: chunked` when the body is chunked (it
// is forwarded with its framing), Strict-Transport-Security when configured and absent, and
// the Connection header Sluice's own decision needs. A 101 keeps its Upgrade.
void writeClientResponseHead(const HttpResponseHead& head, const ClientResponseContext& context,
                             std::string& out);

}  // namespace sluice
