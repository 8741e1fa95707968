#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/connection_options.h"
#include "http/http1/body_framer.h"
#include "http/http_response_head.h"

namespace sluice {

// Reads the responses of one server connection with llhttp (built strictly): interim 1xx
// responses, then the final one; a body framed by Content-Length, by chunks, or by the end of
// the connection. Each head is made canonical (canonical_response.h) before it is reported.
// The same usage as Http1RequestParser: feed() stops at each event, then the caller feeds the
// rest (and feeds again after kHeadComplete even with no bytes, since a response without a
// body completes right there). Before each response, expect() says whether the request was a
// HEAD, whose response has no body whatever its headers say.
//
// The body goes to the output set by frameBody(), called after kHeadComplete, with the
// framing the client is to get (body_framer.h): never the server's own framing.
class Http1ResponseParser {
 public:
  enum class Event { kNeedMore, kHeadComplete, kMessageComplete, kError };
  struct Result {
    Event event;
    size_t consumed;
  };

  // `maxFields`: fields in a head (and in trailers) beyond which the response is refused.
  explicit Http1ResponseParser(size_t maxFields = 100);
  // Between messages: the limit for the next ones.
  void setMaxFields(size_t maxFields) { maxFields_ = maxFields; }
  Http1ResponseParser(const Http1ResponseParser&) = delete;
  Http1ResponseParser& operator=(const Http1ResponseParser&) = delete;

  void expect(bool requestWasHead) { requestWasHead_ = requestWasHead; }
  // Starts over for a new server connection (a parser object is reused, never reallocated).
  void reset(bool requestWasHead);
  // Where the current response's body goes, and how it is framed; null discards it.
  void frameBody(std::string* out, BodyFramer::Mode mode);
  Result feed(const char* data, size_t size);
  // The server closed the connection: true when that ends the current response properly (a
  // body delimited by the close), false when the response was cut short.
  bool finishAtEof();

  const HttpResponseHead& head() const { return head_; }
  // After kMessageComplete: the trailer fields of a chunked body that may be forwarded.
  const std::vector<HttpHeader>& trailers() { return framer_.trailers(); }
  std::string_view error() const { return error_; }

 private:
  // The callbacks, the same for every parser: one table, not one per connection.
  static const llhttp_settings_t& settings();
  static int onMessageBegin(llhttp_t* p);
  static int onStatus(llhttp_t* p, const char* at, size_t length);
  static int onHeaderField(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onChunkHeader(llhttp_t* p);
  static int onChunkComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* p);

  int fail(std::string_view reason);

  llhttp_t parser_;
  size_t maxFields_;
  HttpResponseHead head_;
  ConnectionOptions connection_;
  BodyFramer framer_;
  bool requestWasHead_ = false;
  bool inValue_ = false;
  bool headReported_ = false;
  bool completePending_ = false;  // a bodiless response ended together with its head
  bool readingHead_ = true;       // the next byte fed belongs to a head
  Event pausedFor_ = Event::kNeedMore;
  char lastByte_ = 0;                // the last byte consumed, for a line end split across feeds
  const char* feedStart_ = nullptr;  // the bytes of the current feed, for the body framer
  const char* feedEnd_ = nullptr;
  std::string_view error_;
};

}  // namespace sluice
