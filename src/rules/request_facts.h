#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "http/http_request_head.h"
#include "net/address.h"

namespace sluice {

// What layer-7 rules may look at in one request, as views into the parsed head: made once per
// request, without copying or allocating.
struct RequestFacts {
  std::string_view method;
  std::string_view host;   // the Host header without its port (matched case-insensitively)
  std::string_view path;   // the normalised path (see path_normalizer.h), without the query
  std::string_view query;  // after '?' (without it), as sent; empty when there is none
  const std::vector<HttpHeader>* headers = nullptr;
  const SocketAddress* source = nullptr;  // the client connection's peer
  std::string_view sni;                   // the TLS server name the client asked for, or ""
  // For redirect templates.
  std::string_view scheme;  // "https" or "http": how the client reached the VIP
  uint16_t port = 0;        // the VIP's port

  // Fills the request's own fields from `head`.
  void setRequest(const HttpRequestHead& head);
};

}  // namespace sluice
