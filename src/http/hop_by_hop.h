#pragma once

#include <string_view>

namespace sluice {

// Hop-by-hop header fields (RFC 9110 §7.6.1) describe one connection, not the message: a proxy
// must not forward them. Both the request Sluice sends a server and the response it sends a
// client leave them out (and say what they need themselves). The fields a message's
// Connection options name are hop-by-hop too (connection_options.h).

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade and Transfer-Encoding; and
// Close, a reserved name that would read as one of Connection's options.
bool isHopByHop(std::string_view name);

// X-Forwarded-*, X-Real-IP and Forwarded: what a client may claim about where a request came
// from, which only a trusted proxy is believed on (upstream_request.h).
bool isForwardingClaim(std::string_view name);

// Whether a trailer field (after a chunked body) may be forwarded. Trailers cannot carry what
// frames, routes, authenticates or modifies a message (RFC 9110 §6.5.1): a field that a
// recipient would act on from the head must not arrive after it, past the rules. Those, the
// hop-by-hop fields and the forwarding claims are dropped.
bool mayForwardTrailer(std::string_view name);

}  // namespace sluice
