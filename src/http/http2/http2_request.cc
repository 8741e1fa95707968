#include "http/http2/http2_request.h"

#include <charconv>

#include "http/canonical_request.h"

namespace sluice {

void Http2RequestFields::clear() {
  storage_.clear();
  fields_.clear();
  cookie_.clear();
  bytes_ = 0;
  overLimit_ = false;
}

bool Http2RequestFields::add(std::string_view name, std::string_view value, size_t maxBytes,
                             size_t maxFields) {
  bytes_ += name.size() + value.size() + 32;
  if (bytes_ > maxBytes || fields_.size() >= maxFields + 4) overLimit_ = true;  // + pseudo-fields
  if (overLimit_) return false;
  Field f;
  f.nameAt = static_cast<uint32_t>(storage_.size());
  f.nameLength = static_cast<uint32_t>(name.size());
  storage_.append(name);
  f.valueAt = static_cast<uint32_t>(storage_.size());
  f.valueLength = static_cast<uint32_t>(value.size());
  storage_.append(value);
  fields_.push_back(f);
  return true;
}

MessageError Http2RequestFields::build(HttpRequestHead& head, const RequestPolicy& policy,
                                       ConnectionOptions& options, bool endStream) {
  head.clear();
  head.versionMajor = 2;
  head.versionMinor = 0;
  head.keepAlive = true;
  std::string_view authority, host, contentLength;
  int hosts = 0;
  for (const Field& f : fields_) {
    const std::string_view name = nameOf(f), value = valueOf(f);
    if (name == ":method") {
      head.method = value;
    } else if (name == ":path") {
      head.target = value;
    } else if (name == ":authority") {
      authority = value;
    } else if (name.front() == ':') {
      continue;  // :scheme (http or https, checked by nghttp2); :protocol is not enabled
    } else if (name == "cookie") {
      cookie_.append(cookie_.empty() ? "" : "; ").append(value);
    } else if (name == "content-length") {
      contentLength = value;
    } else {
      if (name == "host") {
        ++hosts;
        host = value;
      }
      head.headers.push_back({name, value});
    }
  }
  if (head.method == "CONNECT") return {405, "CONNECT is not served"};
  if (!authority.empty()) {
    // An HTTP/1.1 server gets the one host as Host (RFC 9113 §8.3.1).
    if (hosts > 0 && host != authority) return {400, ":authority and Host disagree"};
    if (hosts == 0) head.headers.push_back({"Host", authority});
  } else if (hosts == 0) {
    return {400, "a request without :authority or Host"};
  }
  if (!cookie_.empty()) head.headers.push_back({"cookie", cookie_});
  if (!contentLength.empty()) {
    uint64_t length = 0;
    const auto [end, error] =
        std::from_chars(contentLength.data(), contentLength.data() + contentLength.size(), length);
    if (error != std::errc() || end != contentLength.data() + contentLength.size()) {
      return {400, "invalid Content-Length"};
    }
    head.hasContentLength = true;
    head.contentLength = length;
  }
  if (head.hasContentLength && head.contentLength > policy.maxBody) {
    return {413, "the body is larger than limits.max_body"};
  }
  // A body of unknown length goes to an HTTP/1.1 server chunked.
  head.chunked = !endStream && !head.hasContentLength;
  if (endStream && head.hasContentLength && head.contentLength > 0) {
    return {400, "Content-Length with no body"};
  }
  // head.versionMinor 0 with major 2 is not HTTP/1.0: canonicaliseRequest() reads it as such
  // only for major 1.
  return canonicaliseRequest(head, policy, options);
}

}  // namespace sluice
