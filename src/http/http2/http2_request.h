#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/request_policy.h"
#include "http/connection_options.h"
#include "http/http_request_head.h"
#include "http/message_error.h"

namespace sluice {

// One HTTP/2 request's fields, collected as nghttp2 decodes them, then made the same canonical
// request an HTTP/1 client's head becomes (canonical_request.h), so that rules, balancing and
// the request written to the server never know which protocol the client spoke.
//
// nghttp2 has already checked the fields against RFC 9113 §8.2 and §8.3 when they get here:
// lower-case names, pseudo-fields first and once each, :method, :scheme and :path present, no
// connection-specific field, TE only `trailers`, a Content-Length that DATA will match. This
// class adds the limits, :authority against Host, the Cookie crumbs joined into one field
// (§8.2.3, as an HTTP/1.1 server expects), and the body's framing for an HTTP/1.1 server: a
// Content-Length when the client gave one, else chunked.
//
// The object owns the bytes the head's views point into; reuse it only after the head is done.
class Http2RequestFields {
 public:
  void clear();
  // One decoded field. False when the request is past `maxBytes` (name and value lengths plus
  // 32 each, as SETTINGS_MAX_HEADER_LIST_SIZE counts them) or `maxFields`: it is then refused
  // with 431, and later fields are counted but not kept.
  bool add(std::string_view name, std::string_view value, size_t maxBytes, size_t maxFields);
  size_t bytes() const { return bytes_; }
  bool overLimit() const { return overLimit_; }

  // The canonical request, or why it is refused. `endStream`: the HEADERS frame ended the
  // stream, so there is no body.
  MessageError build(HttpRequestHead& head, const RequestPolicy& policy, ConnectionOptions& options,
                     bool endStream);

 private:
  struct Field {
    uint32_t nameAt, nameLength, valueAt, valueLength;
  };
  std::string_view nameOf(const Field& f) const {
    return {storage_.data() + f.nameAt, f.nameLength};
  }
  std::string_view valueOf(const Field& f) const {
    return {storage_.data() + f.valueAt, f.valueLength};
  }

  std::string storage_;
  std::vector<Field> fields_;
  std::string cookie_;  // the crumbs, joined
  size_t bytes_ = 0;
  bool overLimit_ = false;
};

}  // namespace sluice
