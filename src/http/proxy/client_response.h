#pragma once

#include <string>
#include <string_view>

#include "http/ascii.h"
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

// Calls `emit(name, value)` for each field of the response head the client gets, whatever its
// protocol: the server's end-to-end fields (after the rules' edits), the edits' own fields,
// `context.extraLines`, the Content-Length Sluice forwards the body with, and
// Strict-Transport-Security when configured and absent. `length` is storage for the length's
// digits. Not the fields of HTTP/1's own connection management (Connection, Transfer-Encoding,
// Upgrade), which writeClientResponseHead() adds.
template <typename Emit>
void forEachClientResponseField(const HttpResponseHead& head, const ClientResponseContext& context,
                                std::string& length, Emit emit);

// Writes the response head to send to the client from the canonical response: the status
// line, the server's end-to-end fields (after the rules' edits), the framing Sluice forwards
// the body with, Strict-Transport-Security when configured and absent, and the Connection
// header Sluice's own decision needs. A 101 gets its Upgrade.
void writeClientResponseHead(const HttpResponseHead& head, const ClientResponseContext& context,
                             std::string& out);

template <typename Emit>
void forEachClientResponseField(const HttpResponseHead& head, const ClientResponseContext& context,
                                std::string& length, Emit emit) {
  bool sawHsts = false;
  for (const HttpHeader& header : head.headers) {
    if (context.edits && dropsHeader(*context.edits, header.name)) continue;
    sawHsts = sawHsts || equalsIgnoreCase(header.name, "strict-transport-security");
    emit(header.name, header.value);
  }
  if (context.edits) forEachEditedHeader(*context.edits, emit);
  for (std::string_view lines = context.extraLines; !lines.empty();) {
    const size_t end = lines.find("\r\n");
    const std::string_view line = lines.substr(0, end);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      emit(line.substr(0, colon), trimWhitespace(line.substr(colon + 1)));
    }
    if (end == std::string_view::npos) break;
    lines.remove_prefix(end + 2);
  }
  // A HEAD's or a 304's length is the representation's, not this message's, and is kept.
  const bool keptLength = context.framing == ResponseFraming::kNone && head.hasContentLength &&
                          head.status >= 200 && head.status != 204;
  if (keptLength || context.framing == ResponseFraming::kContentLength) {
    length = std::to_string(head.contentLength);
    emit(std::string_view("Content-Length"), std::string_view(length));
  }
  if (!context.hsts.empty() && !sawHsts && head.status >= 200) {
    emit(std::string_view("Strict-Transport-Security"), context.hsts);
  }
}

}  // namespace sluice
