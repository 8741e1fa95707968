#pragma once

#include <string>
#include <string_view>

namespace sluice {

// A response Sluice makes itself instead of forwarding the request: an error page, a redirect,
// a rule's `respond`. It is held as status, fields and body, and each client codec encodes it
// in its own framing (HTTP/1.1 wire bytes here, HEADERS and DATA frames under HTTP/2). Views
// point at storage that outlives the answer's sending: the error pages' static text, the
// config's rules, or the exchange's own strings.
struct LocalAnswer {
  int status = 0;
  std::string_view location;     // a redirect's target, or empty
  std::string_view contentType;  // the body's type, or empty with no body
  std::string_view body;
  bool noStore = false;     // Cache-Control: no-store
  unsigned retryAfter = 0;  // seconds, for Retry-After; 0 sends none
};

// The page Sluice answers with when something went wrong: a short HTML body saying what
// happened, never cached, and for 503 a Retry-After. Never a reset: a browser shows the page,
// a client library gets a status it can act on. Statuses: 400, 403, 404, 405, 408, 413, 414,
// 421, 429, 431, 500, 501, 502, 503, 504, 505; any other gives the 500 page. The pages are made
// once: answering costs no allocation.
const LocalAnswer& errorAnswer(int status);

// Appends `answer` as a complete HTTP/1.1 response that closes the connection: status line,
// its fields, `Connection: close` and a Content-Length.
void appendHttp1Answer(const LocalAnswer& answer, std::string& out);

}  // namespace sluice
