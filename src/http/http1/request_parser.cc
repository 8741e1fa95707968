#include "http/http1/request_parser.h"

#include "http/ascii.h"
#include "http/canonical_request.h"
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
    s.on_chunk_header = &Http1RequestParser::onChunkHeader;
    s.on_chunk_extension_name = &Http1RequestParser::onChunkExtension;
    s.on_chunk_extension_value = &Http1RequestParser::onChunkExtension;
    s.on_chunk_complete = &Http1RequestParser::onChunkComplete;
    s.on_body = &Http1RequestParser::onBody;
    s.on_message_complete = &Http1RequestParser::onMessageComplete;
    return s;
  }();
  return table;
}

Http1RequestParser::Http1RequestParser(const RequestPolicy& policy) : policy_(&policy) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
}

int Http1RequestParser::fail(int status, std::string_view reason) {
  if (error_.status == 0) error_ = MessageError{status, reason};
  return -1;  // any other value than 0 or a pause makes llhttp stop with an error
}

void Http1RequestParser::nextMessage() {
  // At a message boundary nothing is lost by starting llhttp over; it forgets the upgrade.
  llhttp_reset(&parser_);
  headDone_ = false;
  headBytes_ = 0;
}

int Http1RequestParser::onMessageBegin(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  s.head_.clear();
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
  if (s.headDone_) {
    s.framer_.trailerName(at, length);
    return 0;
  }
  std::vector<HttpHeader>& headers = s.head_.headers;
  if (headers.empty() || s.inValue_) {
    if (headers.size() == s.policy_->maxHeaders) {
      return s.fail(431, "more fields than limits.max_headers");
    }
    headers.push_back({});
    s.inValue_ = false;
  }
  extendSpan(headers.back().name, at, length);
  return 0;
}

int Http1RequestParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  Http1RequestParser& s = self(p);
  if (s.headDone_) {
    s.framer_.trailerValue(at, length, s.feedStart_, s.feedEnd_);
    return 0;
  }
  s.inValue_ = true;
  extendSpan(s.head_.headers.back().value, at, length);
  return 0;
}

int Http1RequestParser::onHeaderValueComplete(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  if (s.headDone_) {
    const MessageError error = s.framer_.trailerComplete(431);
    return error ? s.fail(error) : 0;
  }
  s.inValue_ = true;  // the next field callback starts a new header
  HttpHeader& header = s.head_.headers.back();
  if (!isToken(header.name)) return s.fail(400, "invalid header name");
  // llhttp reports an obs-fold continuation as part of the value: refuse it (RFC 9112 §5.2).
  if (hasLineBreak(header.value)) {
    return s.fail(400, "obsolete line folding");
  }
  header.value = trimWhitespace(header.value);
  return 0;
}

int Http1RequestParser::checkHead() {
  HttpRequestHead& h = head_;
  h.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser_)));
  h.versionMajor = llhttp_get_http_major(&parser_);
  h.versionMinor = llhttp_get_http_minor(&parser_);
  if (h.versionMajor != 1 || h.versionMinor > 1) return fail(505, "HTTP version not supported");
  if (h.method == "CONNECT") return fail(405, "CONNECT is not served");
  h.chunked = parser_.flags & F_CHUNKED;
  h.hasContentLength = parser_.flags & F_CONTENT_LENGTH;
  h.contentLength = h.hasContentLength ? parser_.content_length : 0;
  h.keepAlive = llhttp_should_keep_alive(&parser_);
  if (MessageError error = canonicaliseRequest(h, *policy_, connection_)) return fail(error);
  if (h.contentLength > policy_->maxBody) return fail(413, "body over limits.max_body");
  // llhttp acts on its own upgrade flag after this callback: only the canonical one counts.
  parser_.upgrade = h.upgrade ? 1 : 0;
  framer_.start(bodyOut_, h.chunked ? BodyFramer::Mode::kChunked : BodyFramer::Mode::kRaw,
                policy_->maxHeaderBytes, policy_->maxHeaders);
  chunkExtensionBytes_ = 0;
  return 0;
}

void Http1RequestParser::forwardBodyRaw() {
  framer_.start(bodyOut_, BodyFramer::Mode::kRaw, policy_->maxHeaderBytes, policy_->maxHeaders);
}

int Http1RequestParser::onHeadersComplete(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  if (s.checkHead() != 0) return -1;
  s.headDone_ = true;
  s.pausedFor_ = Event::kHeadComplete;
  return HPE_PAUSED;
}

int Http1RequestParser::addBodyBytes(uint64_t count) {
  bodyBytes_ += count;
  return bodyBytes_ > policy_->maxBody ? fail(413, "body over limits.max_body") : 0;
}

int Http1RequestParser::onChunkHeader(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  s.chunkExtensionBytes_ = 0;
  s.framer_.chunkStart(p->content_length);
  return 0;
}

int Http1RequestParser::onChunkExtension(llhttp_t* p, const char*, size_t length) {
  Http1RequestParser& s = self(p);
  s.chunkExtensionBytes_ += length;
  if (s.chunkExtensionBytes_ > kMaxChunkExtension) return s.fail(400, "chunk extension too long");
  return s.addBodyBytes(length);
}

int Http1RequestParser::onChunkComplete(llhttp_t* p) {
  self(p).framer_.chunkEnd();
  return 0;
}

int Http1RequestParser::onBody(llhttp_t* p, const char* at, size_t length) {
  Http1RequestParser& s = self(p);
  if (s.addBodyBytes(length) != 0) return -1;
  s.framer_.data(at, length);
  return 0;
}

int Http1RequestParser::onMessageComplete(llhttp_t* p) {
  Http1RequestParser& s = self(p);
  s.framer_.finish();
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
    length = std::min(size, policy_->maxHeaderBytes - headBytes_);
  }
  feedStart_ = data;
  feedEnd_ = data + length;
  const llhttp_errno_t rc = llhttp_execute(&parser_, data, length);
  if (rc == HPE_PAUSED) {
    const size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
    llhttp_resume(&parser_);
    const bool blankLineEnds = pausedFor_ == Event::kHeadComplete ||
                               (pausedFor_ == Event::kMessageComplete && head_.chunked);
    if (blankLineEnds && !endsWithCrlf(data, consumed, lastByte_)) {
      fail(400, "a bare LF ends the head or the trailers");
      return {Event::kError, 0};
    }
    if (consumed > 0) lastByte_ = data[consumed - 1];
    return {pausedFor_, consumed};
  }
  if (rc == HPE_PAUSED_UPGRADE) {
    // What follows an upgrade request is another protocol until the server declines it: the
    // caller holds those bytes, and calls nextMessage() first if it did.
    error_ = MessageError{400, "bytes after an upgrade request are not HTTP"};
    return {Event::kError, 0};
  }
  if (rc != HPE_OK) {
    // A well-formed version other than 1.0 or 1.1 is 505; a malformed one, like the rest, 400.
    const std::string_view reason = llhttp_get_error_reason(&parser_);
    if (rc == HPE_INVALID_VERSION && reason == "Invalid HTTP version") {
      fail(505, "HTTP version not supported");
    }
    if (rc == HPE_INVALID_TRANSFER_ENCODING && !headDone_) {
      fail(501, "Transfer-Encoding other than one chunked");
    }
    fail(400, llhttp_get_error_reason(&parser_));
    return {Event::kError, 0};
  }
  if (readingHead && !headDone_) {
    headBytes_ += length;
    if (headBytes_ >= policy_->maxHeaderBytes) {
      error_ = MessageError{431, "request head over limits.max_header_bytes"};
      return {Event::kError, 0};
    }
  }
  if (length > 0) lastByte_ = data[length - 1];
  return {Event::kNeedMore, length};
}

}  // namespace sluice
