#pragma once

#include <string_view>
#include <vector>

#include "http/http_request_head.h"

namespace sluice {

// Hop-by-hop header fields (RFC 9110 §7.6.1) describe one connection, not the message: a proxy
// must not forward them. Both the request Sluice sends a server and the response it sends a
// client leave them out (and say what they need themselves).

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade and Transfer-Encoding.
bool isHopByHop(std::string_view name);

// Whether `name` is listed in one of `headers`' Connection fields (which makes it hop-by-hop
// too).
bool namedByConnection(const std::vector<HttpHeader>& headers, std::string_view name);

}  // namespace sluice
