#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/http_request_head.h"

namespace sluice {

// Cookie sticky sessions: which server of a group a client's requests go to, carried by the
// client itself, so that nothing is kept per client and any node with the same secret
// honours the cookie.
//
// A server's cookie value is `<id>.<signature>`: the id names the server opaquely (a hash of
// the group's and the server's names, so it survives restarts and reordering, and says
// nothing of addresses), the signature is HMAC-SHA256 of the id under
// `global.sticky_secret`. Values are computed once per config snapshot; a request's cookie is
// honoured only if it equals one of them exactly (compared in constant time), so a client
// cannot name a server it was never sent to, and no request costs an HMAC.
class StickyCookie {
 public:
  static bool validName(std::string_view name);
  // Fills `group.sticky.values` (one per server) and the Set-Cookie attributes.
  static void prepare(ServerGroupConfig& group, std::string_view secret);
  // The server the request's cookie names, or kNone: no cookie, a forged or tampered one, or
  // one for a server no longer in the group.
  static constexpr uint32_t kNone = UINT32_MAX;
  static uint32_t serverOf(const StickyCookieConfig& sticky,
                           const std::vector<HttpHeader>& headers);
  // Appends the `Set-Cookie:` header line that sends the client to `server`.
  static void appendSetCookie(const StickyCookieConfig& sticky, uint32_t server, bool secure,
                              std::string& out);
};

}  // namespace sluice
