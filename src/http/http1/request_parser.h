#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/http_request_head.h"

namespace sluice {

// Reads HTTP/1.1 requests from a client connection, one after another (keep-alive), with
// llhttp, and refuses everything a request-smuggling attack or a sloppy client could make two
// servers read differently. llhttp itself refuses Content-Length with Transfer-Encoding,
// duplicate Content-Length, bare LF, invalid chunk sizes and unknown transfer codings; this
// class adds what llhttp 8 lets through: header names that are not tokens (`Host :`),
// obs-fold continuation lines, Transfer-Encoding on HTTP/1.0, a missing or repeated Host,
// CONNECT, and the size limits.
//
// Usage: feed() the bytes the client sent, in order, from one contiguous buffer for as long as
// a head is being read (its views point into that buffer). feed() stops at each event and
// says how many bytes it consumed; the caller acts on the event, then feeds the rest — and
// after kHeadComplete calls feed() again even with no bytes left, since a request without a
// body completes right there (kMessageComplete, nothing consumed).
//
//   kHeadComplete     head() is ready; the message's body (if any) follows
//   kMessageComplete  the request ended at `consumed`: body bytes before it belong to it
//   kError            refuse with error().status and close the connection
//
// A body's bytes are consumed as they are (chunk framing included): the proxy forwards them
// unchanged, having had them validated here; bytes are never consumed past an error. After a
// head with upgrade() set, what follows is not HTTP: the caller relays it and feeds no more.
class Http1RequestParser {
 public:
  enum class Event { kNeedMore, kHeadComplete, kMessageComplete, kError };
  struct Result {
    Event event;
    size_t consumed;
  };
  struct Error {
    int status = 0;           // 400, 405, 413 or 431
    std::string_view reason;  // for the access log; a constant string
  };

  Http1RequestParser(size_t maxHeaderBytes, uint64_t maxBodyBytes);
  Http1RequestParser(const Http1RequestParser&) = delete;
  Http1RequestParser& operator=(const Http1RequestParser&) = delete;

  Result feed(const char* data, size_t size);

  const HttpRequestHead& head() const { return head_; }
  const Error& error() const { return error_; }

 private:
  // The callbacks, the same for every parser: one table, not one per connection.
  static const llhttp_settings_t& settings();
  static int onMessageBegin(llhttp_t* p);
  static int onUrl(llhttp_t* p, const char* at, size_t length);
  static int onHeaderField(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* p);

  int fail(int status, std::string_view reason);
  int checkHead();

  llhttp_t parser_;
  size_t maxHeaderBytes_;
  uint64_t maxBodyBytes_;

  HttpRequestHead head_;
  size_t headBytes_ = 0;
  bool headDone_ = false;
  bool inValue_ = false;
  int hostCount_ = 0;
  uint64_t bodyBytes_ = 0;
  Event pausedFor_ = Event::kNeedMore;
  Error error_;
};

}  // namespace sluice
