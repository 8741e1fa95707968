#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/request_policy.h"
#include "http/connection_options.h"
#include "http/http1/body_framer.h"
#include "http/http_request_head.h"
#include "http/message_error.h"

namespace sluice {

// Reads HTTP/1.x requests from a client connection, one after another (keep-alive), with
// llhttp built strictly (LLHTTP_STRICT_MODE, no lenient flag), and turns each head into the
// canonical request (canonical_request.h) before anyone acts on it. llhttp refuses
// Content-Length with Transfer-Encoding, duplicate Content-Length, bare CR or LF, a head not
// ended by CRLF CRLF, invalid chunk sizes and chunk data not followed by CRLF; this class adds
// header names that are not tokens (`Host :`), obs-fold, versions other than 1.0 and 1.1
// (505), CONNECT (405), the limits (413, 431) and everything canonicaliseRequest() checks.
//
// Usage: feed() the bytes the client sent, in order, from one contiguous buffer for as long as
// a head is being read (its views point into that buffer). feed() stops at each event and
// says how many bytes it consumed; the caller acts on the event, then feeds the rest — and
// after kHeadComplete calls feed() again even with no bytes left, since a request without a
// body completes right there (kMessageComplete, nothing consumed).
//
//   kHeadComplete     head() is ready (canonical); the message's body (if any) follows
//   kMessageComplete  the request ended at `consumed`
//   kError            refuse with error().status and close the connection
//
// The body is never relayed as received: its data goes to the body output with framing this
// class writes — the same bytes for a Content-Length body; for a chunked one, each chunk
// re-framed (canonical size, no extensions), then `0`, the trailer fields a server may see,
// and CRLF. Chunk extensions are skipped, at most kMaxChunkExtension bytes each, and count
// toward limits.max_body. Bytes are never consumed past an error.
//
// After an upgrade request (head().upgrade), what follows may not be HTTP: the caller holds
// the next bytes until the server answers, and calls nextMessage() before feeding them if the
// server declined (any status but 101).
class Http1RequestParser {
 public:
  enum class Event { kNeedMore, kHeadComplete, kMessageComplete, kError };
  struct Result {
    Event event;
    size_t consumed;
  };
  static constexpr size_t kMaxChunkExtension = 4096;

  // `policy` must outlive the parser, or its use by it (it is the VIP's).
  explicit Http1RequestParser(const RequestPolicy& policy);
  // Between messages: the limits of the next ones (a reload gave the VIP new ones).
  void setPolicy(const RequestPolicy& policy) { policy_ = &policy; }
  Http1RequestParser(const Http1RequestParser&) = delete;
  Http1RequestParser& operator=(const Http1RequestParser&) = delete;

  // Where body bytes go, framed for the server; null discards them.
  void setBodyOutput(std::string* out) { bodyOut_ = out; }
  // Right after kHeadComplete: the body goes to the output as it is, not re-chunked (its
  // server speaks HTTP/2, whose DATA frames carry it).
  void forwardBodyRaw();
  Result feed(const char* data, size_t size);
  // Between messages: the previous one was an upgrade the server declined; parse on as HTTP.
  void nextMessage();

  const HttpRequestHead& head() const { return head_; }
  // After kMessageComplete: the trailer fields of a chunked body that may be forwarded.
  const std::vector<HttpHeader>& trailers() { return framer_.trailers(); }
  const MessageError& error() const { return error_; }

 private:
  // The callbacks, the same for every parser: one table, not one per connection.
  static const llhttp_settings_t& settings();
  static int onMessageBegin(llhttp_t* p);
  static int onUrl(llhttp_t* p, const char* at, size_t length);
  static int onHeaderField(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onChunkHeader(llhttp_t* p);
  static int onChunkExtension(llhttp_t* p, const char* at, size_t length);
  static int onChunkComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* p);

  int fail(int status, std::string_view reason);
  int fail(const MessageError& error) { return fail(error.status, error.reason); }
  int checkHead();
  int addBodyBytes(uint64_t count);

  llhttp_t parser_;
  const RequestPolicy* policy_;
  std::string* bodyOut_ = nullptr;

  HttpRequestHead head_;
  ConnectionOptions connection_;
  size_t headBytes_ = 0;
  bool headDone_ = false;
  bool inValue_ = false;
  uint64_t bodyBytes_ = 0;
  size_t chunkExtensionBytes_ = 0;
  BodyFramer framer_;
  Event pausedFor_ = Event::kNeedMore;
  char lastByte_ = 0;                // the last byte consumed, for a line end split across feeds
  const char* feedStart_ = nullptr;  // the bytes of the current feed, for the body framer
  const char* feedEnd_ = nullptr;
  MessageError error_;
};

}  // namespace sluice
