#include "http/http1/response_parser.h"

#include "http/ascii.h"
#include "http/http1/spans.h"

namespace sluice {
namespace {

Http1ResponseParser& self(llhttp_t* p) {
  return *static_cast<Http1ResponseParser*>(p->data);
}

// llhttp's "skip the body" answer from on_headers_complete.
constexpr int kNoBody = 1;

}  // namespace

void HttpResponseHead::clear() {
  status = 0;
  versionMinor = 1;
  reason = {};
  headers.clear();
  keepAlive = chunked = hasContentLength = upgrade = false;
  contentLength = 0;
}

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
    s.on_message_complete = &Http1ResponseParser::onMessageComplete;
    return s;
  }();
  return table;
}

Http1ResponseParser::Http1ResponseParser() {
  llhttp_init(&parser_, HTTP_RESPONSE, &settings());
  parser_.data = this;
}

void Http1ResponseParser::reset(bool requestWasHead) {
  llhttp_reset(&parser_);  // keeps settings and data
  head_.clear();
  requestWasHead_ = requestWasHead;
  inValue_ = headReported_ = completePending_ = false;
  pausedFor_ = Event::kNeedMore;
  error_ = {};
}

int Http1ResponseParser::onMessageBegin(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  s.head_.clear();
  s.inValue_ = false;
  s.headReported_ = false;
  return 0;
}

int Http1ResponseParser::onStatus(llhttp_t* p, const char* at, size_t length) {
  extendSpan(self(p).head_.reason, at, length);
  return 0;
}

int Http1ResponseParser::onHeaderField(llhttp_t* p, const char* at, size_t length) {
  Http1ResponseParser& s = self(p);
  if (s.head_.headers.empty() || s.inValue_) {
    s.head_.headers.push_back({});
    s.inValue_ = false;
  }
  extendSpan(s.head_.headers.back().name, at, length);
  return 0;
}

int Http1ResponseParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  Http1ResponseParser& s = self(p);
  s.inValue_ = true;
  extendSpan(s.head_.headers.back().value, at, length);
  return 0;
}

int Http1ResponseParser::onHeaderValueComplete(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  s.inValue_ = true;
  HttpHeader& header = s.head_.headers.back();
  if (header.value.find_first_of("\r\n") != std::string_view::npos) {
    s.error_ = "obsolete line folding in a response header";
    return -1;
  }
  header.value = trimWhitespace(header.value);
  return 0;
}

int Http1ResponseParser::onHeadersComplete(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  HttpResponseHead& h = s.head_;
  h.status = llhttp_get_status_code(p);
  h.versionMinor = llhttp_get_http_minor(p);
  h.chunked = p->flags & F_CHUNKED;
  h.hasContentLength = p->flags & F_CONTENT_LENGTH;
  h.contentLength = h.hasContentLength ? p->content_length : 0;
  h.keepAlive = llhttp_should_keep_alive(p);
  h.upgrade = h.status == 101;
  // No body follows a HEAD request's response, a 204 or a 304, whatever Content-Length says
  // (RFC 9110 §6.4.1): the message ends with the head.
  if ((s.requestWasHead_ && h.status >= 200) || h.status == 204 || h.status == 304) {
    s.headReported_ = true;
    s.completePending_ = true;
    return kNoBody;
  }
  s.headReported_ = true;
  s.pausedFor_ = Event::kHeadComplete;
  return HPE_PAUSED;
}

int Http1ResponseParser::onMessageComplete(llhttp_t* p) {
  Http1ResponseParser& s = self(p);
  s.pausedFor_ = s.completePending_ ? Event::kHeadComplete : Event::kMessageComplete;
  return HPE_PAUSED;
}

Http1ResponseParser::Result Http1ResponseParser::feed(const char* data, size_t size) {
  if (!error_.empty()) return {Event::kError, 0};
  if (completePending_ && pausedFor_ == Event::kHeadComplete) {
    // The head of a bodiless response was reported last time; its end is now.
    completePending_ = false;
    pausedFor_ = Event::kNeedMore;
    return {Event::kMessageComplete, 0};
  }
  const llhttp_errno_t rc = llhttp_execute(&parser_, data, size);
  if (rc == HPE_PAUSED) {
    const size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
    llhttp_resume(&parser_);
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
  return {Event::kNeedMore, size};
}

bool Http1ResponseParser::finishAtEof() {
  pausedFor_ = Event::kNeedMore;
  const llhttp_errno_t rc = llhttp_finish(&parser_);
  return (rc == HPE_OK || rc == HPE_PAUSED) && pausedFor_ == Event::kMessageComplete;
}

}  // namespace sluice
