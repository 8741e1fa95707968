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
  // The answer is to a HEAD request: its fields say what a GET would get (Content-Length
  // included), and no content follows them (RFC 9110, 9.3.2).
  bool toHead = false;

  // The content that follows the fields.
  std::string_view content() const { return toHead ? std::string_view() : body; }
};

// The text of an answer's numeric field values, alive while the fields are being sent.
struct LocalAnswerNumbers {
  std::string contentLength;
  std::string retryAfter;
};

// The fields every client codec sends with `answer`, in order, as field(name, value): one
// encoding for every protocol (HTTP/2 lowers the names). The status line or pseudo-field and
// HTTP/1.1's `Connection: close` are the codec's own.
template <class Field>
void forEachLocalAnswerField(const LocalAnswer& answer, LocalAnswerNumbers& numbers,
                             Field&& field) {
  if (!answer.location.empty()) field("Location", answer.location);
  if (!answer.contentType.empty()) field("Content-Type", answer.contentType);
  if (answer.noStore) field("Cache-Control", "no-store");
  if (answer.retryAfter != 0) {
    numbers.retryAfter = std::to_string(answer.retryAfter);
    field("Retry-After", numbers.retryAfter);
  }
  numbers.contentLength = std::to_string(answer.body.size());
  field("Content-Length", numbers.contentLength);
}

// The page Sluice answers with when something went wrong: a short HTML body saying what
// happened, never cached, and for 503 a Retry-After. Never a reset: a browser shows the page,
// a client library gets a status it can act on. Statuses: 400, 403, 404, 405, 408, 413, 414,
// 421, 429, 431, 500, 501, 502, 503, 504, 505; any other gives the 500 page. The pages are made
// once: answering costs no allocation.
const LocalAnswer& errorAnswer(int status);

// Appends `answer` as a complete HTTP/1.1 response that closes the connection: status line,
// `Connection: close`, its fields and its content.
void appendHttp1Answer(const LocalAnswer& answer, std::string& out);

}  // namespace sluice
