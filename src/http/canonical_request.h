#pragma once

#include <string_view>

#include "config/request_policy.h"
#include "http/connection_options.h"
#include "http/http_request_head.h"
#include "http/message_error.h"
#include "http/path_normalizer.h"

namespace sluice {

// Turns a parsed head (method, target, version, fields as received, framing from the parser)
// into the one canonical request, or says why it is refused. In one pass over the fields,
// linear in the head's size:
//
// - Connection options are read once; one that names Content-Length, Transfer-Encoding or Host
//   is 400. Hop-by-hop fields and those the options name leave the list, and so do the framing
//   fields (Sluice writes its own) and HTTP2-Settings.
// - Transfer-Encoding must be exactly one `chunked` (anything else: 501).
// - Exactly one Host, a valid authority without whitespace (HTTP/1.0 may omit it: the VIP's
//   address is used). An absolute-form target's scheme must be http or https and its
//   authority must equal Host (RFC 9112 §3.2.2 lets a proxy pick; Sluice refuses the
//   disagreement, 400, rather than guess which one the rules should see); the target is then
//   reduced to origin-form. `#` in a target is 400; `*` only with OPTIONS.
// - The path is normalised (a climb above the root: 400).
// - Only a WebSocket upgrade (GET, HTTP/1.1, no body) stays an upgrade; h2c and others are
//   dropped, so a tunnel never starts past the rules.
//
// `options` is the caller's, reused between requests.
MessageError canonicaliseRequest(HttpRequestHead& head, const RequestPolicy& policy,
                                 ConnectionOptions& options);

// Whether `text` is a valid Host value: a reg-name, IPv4 or bracketed IPv6 literal, then an
// optional `:port`; no whitespace, userinfo, path or anything else.
bool isValidAuthority(std::string_view text);

}  // namespace sluice
