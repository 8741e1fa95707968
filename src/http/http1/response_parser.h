#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/http_request_head.h"

namespace sluice {

// A response head from a server. Views point into the bytes fed to the parser.
struct HttpResponseHead {
  unsigned status = 0;
  unsigned versionMinor = 1;
  std::string_view reason;
  std::vector<HttpHeader> headers;
  bool keepAlive = false;  // the server lets the connection be reused after this response
  bool chunked = false;
  bool hasContentLength = false;
  uint64_t contentLength = 0;
  bool upgrade = false;  // 101 Switching Protocols: what follows is not HTTP

  void clear();
};

// Reads the responses of one server connection with llhttp: interim 1xx responses, then the
// final one; a body framed by Content-Length, by chunks, or by the end of the connection.
// The same usage as Http1RequestParser: feed() stops at each event, then the caller feeds the
// rest (and feeds again after kHeadComplete even with no bytes, since a response without a
// body completes right there). Before each response, expect() says whether the request was a
// HEAD, whose response has no body whatever its headers say.
class Http1ResponseParser {
 public:
  enum class Event { kNeedMore, kHeadComplete, kMessageComplete, kError };
  struct Result {
    Event event;
    size_t consumed;
  };

  Http1ResponseParser();
  Http1ResponseParser(const Http1ResponseParser&) = delete;
  Http1ResponseParser& operator=(const Http1ResponseParser&) = delete;

  void expect(bool requestWasHead) { requestWasHead_ = requestWasHead; }
  // Starts over for a new server connection (a parser object is reused, never reallocated).
  void reset(bool requestWasHead);
  Result feed(const char* data, size_t size);
  // The server closed the connection: true when that ends the current response properly (a
  // body delimited by the close), false when the response was cut short.
  bool finishAtEof();

  const HttpResponseHead& head() const { return head_; }
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
  static int onMessageComplete(llhttp_t* p);

  llhttp_t parser_;
  HttpResponseHead head_;
  bool requestWasHead_ = false;
  bool inValue_ = false;
  bool headReported_ = false;
  bool completePending_ = false;  // a bodiless response ended together with its head
  Event pausedFor_ = Event::kNeedMore;
  std::string_view error_;
};

}  // namespace sluice
