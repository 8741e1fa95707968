#include "http/http1/request_parser.h"

#include "http/ascii.h"
#include "http/http1/spans.h"

namespace sluice {
namespace {

Http1RequestParser& self(llhttp_t* p) {
  return *static_cast<Http1RequestParser*>(p->data);
}

}  // namespace

const llhttp_settings_t& Http1RequestParser::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &Http1RequestParser::onMessageBegin;
    s.on_url = &Http1RequestParser::onUrl;
    s.on_header_field = &Http1RequestParser::onHeaderField;
    s.on_header_value = &Http1RequestParser::onHeaderValue;
    s.on_header_value_complete = &Http1RequestParser::onHeaderValueComplete;
    s.on_headers_complete = &Http1RequestParser::onHeadersComplete;
    s.on_body = &Http1RequestParser::onBody;
    s.on_message_complete = &Http1RequestParser::onMessageComplete;
    return s;
  }();
  return table;
}

Http1RequestParser::Http1RequestParser(size_t maxHeaderBytes, uint64_t maxBodyBytes)
    : maxHeaderBytes_(maxHeaderBytes), maxBodyBytes_(maxBodyBytes) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
}

int Http1RequestParser::fail(int status, std::string_view reason) {
  if (error_.status == 0) error_ = Error{status, reason};
  return -1;  // any other value than 0 or a pause makes llhttp stop with an error
}

int Http1RequestParser::onMessageBegin(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  s.head_.clear();
  s.hostCount_ = 0;
  s.inValue_ = false;
  s.bodyBytes_ = 0;
  return 0;
}

int Http1RequestParser::onUrl(llhttp_t* p, const char* at, size_t length) {
  extendSpan(self(p).head_.target, at, length);
  return 0;
}

int Http1RequestParser::onHeaderField(llhttp_t* p, const char* at, size_t length) {
  Http1RequestParser& s = self(p);
  if (s.head_.headers.empty() || s.inValue_) {
    s.head_.headers.push_back({});
    s.inValue_ = false;
  }
  extendSpan(s.head_.headers.back().name, at, length);
  return 0;
}

int Http1RequestParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  Http1RequestParser& s = self(p);
  s.inValue_ = true;
  extendSpan(s.head_.headers.back().value, at, length);
  return 0;
}

int Http1RequestParser::onHeaderValueComplete(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  s.inValue_ = true;  // the next field callback starts a new header
  HttpHeader& header = s.head_.headers.back();
  if (!isToken(header.name)) return s.fail(400, "invalid header name");
  // llhttp reports an obs-fold continuation as part of the value: refuse it (RFC 9112 §5.2).
  if (header.value.find_first_of("\r\n") != std::string_view::npos) {
    return s.fail(400, "obsolete line folding");
  }
  while (!header.value.empty() && (header.value.back() == ' ' || header.value.back() == '\t')) {
    header.value.remove_suffix(1);
  }
  if (equalsIgnoreCase(header.name, "host")) {
    ++s.hostCount_;
    s.head_.host = header.value;
  } else if (equalsIgnoreCase(header.name, "expect") &&
             equalsIgnoreCase(header.value, "100-continue")) {
    s.head_.expectContinue = true;
  }
  return 0;
}

int Http1RequestParser::checkHead() {
  HttpRequestHead& h = head_;
  h.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser_)));
  h.versionMajor = llhttp_get_http_major(&parser_);
  h.versionMinor = llhttp_get_http_minor(&parser_);
  if (h.method == "CONNECT") return fail(405, "CONNECT is not served");
  if (hostCount_ > 1) return fail(400, "more than one Host header");
  if (hostCount_ == 0 && h.versionMinor >= 1) return fail(400, "HTTP/1.1 request without Host");
  const bool transferEncoding = parser_.flags & F_TRANSFER_ENCODING;
  h.chunked = parser_.flags & F_CHUNKED;
  if (transferEncoding && h.versionMinor == 0) {
    return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  // A request body's length must be knowable (RFC 9112 §6.3): a transfer coding other than a
  // final chunked leaves it unknown. llhttp refuses this only after this callback returns.
  if (transferEncoding && !h.chunked) return fail(400, "Transfer-Encoding without final chunked");
  h.hasContentLength = parser_.flags & F_CONTENT_LENGTH;
  h.contentLength = h.hasContentLength ? parser_.content_length : 0;
  if (h.contentLength > maxBodyBytes_) return fail(413, "body over limits.max_body");
  h.keepAlive = llhttp_should_keep_alive(&parser_);
  h.upgrade = parser_.upgrade;
  return 0;
}

int Http1RequestParser::onHeadersComplete(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  if (s.checkHead() != 0) return -1;
  s.headDone_ = true;
  s.pausedFor_ = Event::kHeadComplete;
  return HPE_PAUSED;
}

int Http1RequestParser::onBody(llhttp_t* p, const char*, size_t length) {
  Http1RequestParser& s = self(p);
  s.bodyBytes_ += length;
  if (s.bodyBytes_ > s.maxBodyBytes_) return s.fail(413, "body over limits.max_body");
  return 0;
}

int Http1RequestParser::onMessageComplete(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  s.headDone_ = false;
  s.headBytes_ = 0;
  s.pausedFor_ = Event::kMessageComplete;
  return HPE_PAUSED;
}

Http1RequestParser::Result Http1RequestParser::feed(const char* data, size_t size) {
  if (error_.status != 0) return {Event::kError, 0};
  size_t length = size;
  const bool readingHead = !headDone_;
  if (readingHead) {
    // Never parse past the head limit: a head that is not complete within it is refused
    // without looking further.
    length = std::min(size, maxHeaderBytes_ - headBytes_);
  }
  const llhttp_errno_t rc = llhttp_execute(&parser_, data, length);
  if (rc == HPE_PAUSED) {
    const size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
    llhttp_resume(&parser_);
    return {pausedFor_, consumed};
  }
  if (rc == HPE_PAUSED_UPGRADE) {
    // What follows an upgrade request is another protocol: the caller relays it from
    // kHeadComplete on and must not feed more.
    error_ = Error{400, "bytes after an upgrade request are not HTTP"};
    return {Event::kError, 0};
  }
  if (rc != HPE_OK) {
    if (error_.status == 0) error_ = Error{400, llhttp_get_error_reason(&parser_)};
    return {Event::kError, 0};
  }
  if (readingHead && !headDone_) {
    headBytes_ += length;
    if (headBytes_ >= maxHeaderBytes_) {
      error_ = Error{431, "request head over limits.max_header_bytes"};
      return {Event::kError, 0};
    }
  }
  return {Event::kNeedMore, length};
}

}  // namespace sluice
