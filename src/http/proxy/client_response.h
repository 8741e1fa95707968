#pragma once

#include <string>
#include <string_view>

#include "http/http_response_head.h"
#include "http/proxy/header_edits.h"

namespace sluice {

// How the body of a response reaches the client: Sluice's framing, chosen per client.
enum class ResponseFraming {
  kNone,           // no body (HEAD, 1xx, 204, 304); a HEAD's or 304's Content-Length is kept
  kContentLength,  // the server's length
  kChunked,        // re-chunked (HTTP/1.1 clients)
  kClose,          // delimited by closing the connection (no length known, or an HTTP/1.0
                   // client of a chunked response)
};

// How a client gets a response's body: the server's framing is never passed on as it is.
ResponseFraming clientFraming(const HttpResponseHead& head, bool requestWasHead, bool clientHttp10);

struct ClientResponseContext {
  std::string_view hsts;      // a Strict-Transport-Security value to add, or empty
  bool close = false;         // Sluice closes the client connection after this response
  bool clientHttp10 = false;  // the client spoke HTTP/1.0 and asked for keep-alive
  ResponseFraming framing = ResponseFraming::kNone;
  const HeaderEditList* edits = nullptr;  // rules' response header changes, if any
  std::string_view extraLines;            // complete header lines to add (a sticky Set-Cookie)
};

// Writes the response head to send to the client from the canonical response: the status
// line, the server's end-to-end fields (after the rules' edits), the framing Sluice forwards
// the body with, Strict-Transport-Security when configured and absent, and the Connection
// header Sluice's own decision needs. A 101 gets its Upgrade.
void writeClientResponseHead(const HttpResponseHead& head, const ClientResponseContext& context,
                             std::string& out);

}  // namespace sluice
