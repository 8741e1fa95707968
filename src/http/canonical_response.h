#pragma once

#include "http/connection_options.h"
#include "http/http_response_head.h"
#include "http/message_error.h"

namespace sluice {

// Turns a server's parsed response head into its canonical form, or says why it cannot be
// forwarded (the client then gets 502). The same rules as for requests, from the other side:
// a Connection option that names Content-Length or Transfer-Encoding (a response with no
// framing on a kept-alive client connection), a Transfer-Encoding other than one `chunked`,
// Content-Length together with Transfer-Encoding, a status outside 100..599, or a 101 without
// an Upgrade are refused; hop-by-hop fields, those the options name and the framing fields
// leave the list. `options` is the caller's, reused between responses.
MessageError canonicaliseResponse(HttpResponseHead& head, ConnectionOptions& options);

}  // namespace sluice
