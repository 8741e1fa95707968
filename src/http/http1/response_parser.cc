#include "http/http1/response_parser.h"

#include "http/ascii.h"
#include "http/canonical_response.h"
#include "http/http1/spans.h"

namespace sluice {
namespace {

Http1ResponseParser& self(llhttp_t* p) {
  return *static_cast<Http1ResponseParser*>(p->data);
}

// llhttp's "skip the body" answer from on_headers_complete.
constexpr int kNoBody = 1;
// Trailer fields of a response: bounded like its head, whose size the receive buffer bounds.
constexpr size_t kMaxTrailerBytes = 32 * 1024;

}  // namespace

const llhttp_settings_t& Http1ResponseParser::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &Http1ResponseParser::onMessageBegin;
    s.on_status = &Http1ResponseParser::onStatus;
    s.on_header_field = &Http1ResponseParser::onHeaderField;
    s.on_header_value = &Http1ResponseParser::onHeaderValue;
    s.on_header_value_complete = &Http1ResponseParser::onHeaderValueComplete;
    s.on_headers_complete = &Http1ResponseParser::onHeadersComplete;
    s.on_chunk_header = &Http1ResponseParser::onChunkHeader;
    s.on_chunk_complete = &Http1ResponseParser::onChunkComplete;
    s.on_body = &Http1ResponseParser::onBody;
    s.on_message_complete = &Http1ResponseParser::onMessageComplete;
    return s;
  }();
  return table;
}

Http1ResponseParser::Http1ResponseParser(size_t maxFields) : maxFields_(maxFields) {
  llhttp_init(&parser_, HTTP_RESPONSE, &settings());
  parser_.data = this;
}

void Http1ResponseParser::reset(bool requestWasHead) {
  llhttp_reset(&parser_);  // keeps settings and data
  head_.clear();
  requestWasHead_ = requestWasHead;
  inValue_ = headReported_ = completePending_ = false;
  readingHead_ = true;
  pausedFor_ = Event::kNeedMore;
  error_ = {};
}

void Http1ResponseParser::frameBody(std::string* out, BodyFramer::Mode mode) {
  framer_.start(out, mode, kMaxTrailerBytes, maxFields_);
}

int Http1ResponseParser::fail(std::string_view reason) {
  if (error_.empty()) error_ = reason;
  return -1;
}

int Http1ResponseParser::onMessageBegin(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  s.head_.clear();
  s.inValue_ = false;
  s.headReported_ = false;
  s.framer_.start(nullptr, BodyFramer::Mode::kRaw, kMaxTrailerBytes, s.maxFields_);
  return 0;
}

int Http1ResponseParser::onStatus(llhttp_t* p, const char* at, size_t length) {
  extendSpan(self(p).head_.reason, at, length);
  return 0;
}

int Http1ResponseParser::onHeaderField(llhttp_t* p, const char* at, size_t length) {
  Http1ResponseParser& s = self(p);
  if (s.headReported_) {
    s.framer_.trailerName(at, length);
    return 0;
  }
  std::vector<HttpHeader>& headers = s.head_.headers;
  if (headers.empty() || s.inValue_) {
    if (headers.size() == s.maxFields_) return s.fail("more response fields than max_headers");
    headers.push_back({});
    s.inValue_ = false;
  }
  extendSpan(headers.back().name, at, length);
  return 0;
}

int Http1ResponseParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  Http1ResponseParser& s = self(p);
  if (s.headReported_) {
    s.framer_.trailerValue(at, length, s.feedStart_, s.feedEnd_);
    return 0;
  }
  s.inValue_ = true;
  extendSpan(s.head_.headers.back().value, at, length);
  return 0;
}

int Http1ResponseParser::onHeaderValueComplete(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  if (s.headReported_) {
    const MessageError error = s.framer_.trailerComplete(502);
    return error ? s.fail(error.reason) : 0;
  }
  s.inValue_ = true;
  HttpHeader& header = s.head_.headers.back();
  if (!isToken(header.name)) return s.fail("invalid header name in a response");
  if (hasLineBreak(header.value)) {
    return s.fail("obsolete line folding in a response header");
  }
  header.value = trimWhitespace(header.value);
  return 0;
}

int Http1ResponseParser::onHeadersComplete(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  HttpResponseHead& h = s.head_;
  h.status = llhttp_get_status_code(p);
  h.versionMinor = llhttp_get_http_minor(p);
  if (llhttp_get_http_major(p) != 1 || h.versionMinor > 1) {
    return s.fail("response HTTP version not supported");
  }
  h.chunked = p->flags & F_CHUNKED;
  h.hasContentLength = p->flags & F_CONTENT_LENGTH;
  h.contentLength = h.hasContentLength ? p->content_length : 0;
  h.keepAlive = llhttp_should_keep_alive(p);
  h.upgrade = h.status == 101;
  if (MessageError error = canonicaliseResponse(h, s.connection_)) return s.fail(error.reason);
  s.headReported_ = true;
  // No body follows a HEAD request's response, a 1xx, a 204 or a 304, whatever Content-Length
  // says (RFC 9110 §6.4.1): the message ends with the head.
  if ((s.requestWasHead_ && h.status >= 200) || h.status == 204 || h.status == 304) {
    s.completePending_ = true;
    return kNoBody;
  }
  s.pausedFor_ = Event::kHeadComplete;
  return HPE_PAUSED;
}

int Http1ResponseParser::onChunkHeader(llhttp_t* p) {
  self(p).framer_.chunkStart(p->content_length);
  return 0;
}

int Http1ResponseParser::onChunkComplete(llhttp_t* p) {
  self(p).framer_.chunkEnd();
  return 0;
}

int Http1ResponseParser::onBody(llhttp_t* p, const char* at, size_t length) {
  self(p).framer_.data(at, length);
  return 0;
}

int Http1ResponseParser::onMessageComplete(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  s.framer_.finish();
  s.pausedFor_ = s.completePending_ ? Event::kHeadComplete : Event::kMessageComplete;
  return HPE_PAUSED;
}

Http1ResponseParser::Result Http1ResponseParser::feed(const char* data, size_t size) {
  if (!error_.empty()) return {Event::kError, 0};
  if (completePending_ && pausedFor_ == Event::kHeadComplete) {
    // The head of a bodiless response was reported last time; its end is now.
    completePending_ = false;
    pausedFor_ = Event::kNeedMore;
    readingHead_ = true;
    return {Event::kMessageComplete, 0};
  }
  // A feed starts at a message's first byte, inside its head or inside its body (each event
  // pauses the parser right where it happened), so whether these bytes are head bytes is known.
  const bool headBytes = readingHead_;
  feedStart_ = data;
  feedEnd_ = data + size;
  const llhttp_errno_t rc = llhttp_execute(&parser_, data, size);
  if (rc == HPE_PAUSED) {
    const size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
    llhttp_resume(&parser_);
    // llhttp 8 takes a bare LF after the status line; Sluice does not.
    if (headBytes && containsBareLf(data, consumed, lastByte_)) {
      error_ = "a bare LF in a response head";
      return {Event::kError, 0};
    }
    if (pausedFor_ == Event::kHeadComplete) readingHead_ = false;
    if (pausedFor_ == Event::kMessageComplete) readingHead_ = true;
    const bool blankLineEnds = pausedFor_ == Event::kHeadComplete ||
                               (pausedFor_ == Event::kMessageComplete && head_.chunked);
    if (blankLineEnds && !endsWithCrlf(data, consumed, lastByte_)) {
      error_ = "a bare LF ends the response head or its trailers";
      return {Event::kError, 0};
    }
    if (consumed > 0) lastByte_ = data[consumed - 1];
    if (pausedFor_ == Event::kHeadComplete && completePending_) {
      return {Event::kHeadComplete, consumed};  // kMessageComplete comes with the next feed()
    }
    return {pausedFor_, consumed};
  }
  if (rc == HPE_PAUSED_UPGRADE) {
    // What follows a 101 is another protocol: the caller relays it and must not feed more.
    error_ = "bytes after 101 Switching Protocols are not HTTP";
    return {Event::kError, 0};
  }
  if (rc != HPE_OK) {
    if (error_.empty()) error_ = llhttp_get_error_reason(&parser_);
    return {Event::kError, 0};
  }
  if (headBytes && containsBareLf(data, size, lastByte_)) {
    error_ = "a bare LF in a response head";
    return {Event::kError, 0};
  }
  if (size > 0) lastByte_ = data[size - 1];
  return {Event::kNeedMore, size};
}

bool Http1ResponseParser::finishAtEof() {
  pausedFor_ = Event::kNeedMore;
  const llhttp_errno_t rc = llhttp_finish(&parser_);
  return (rc == HPE_OK || rc == HPE_PAUSED) && pausedFor_ == Event::kMessageComplete;
}

}  // namespace sluice
