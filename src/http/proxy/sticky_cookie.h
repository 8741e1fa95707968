#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/http_request_head.h"

namespace sluice {

// Cookie sticky sessions: which server of a group a client's requests go to, carried by the
// client itself, so that nothing is kept per client and any node with the same secret honours
// the cookie.
//
// A cookie's value is `<key id>.<sealed>`. The key id (8 hex digits) names the key that sealed
// it; `sealed` is base64url of a 12-byte random nonce, then AES-256-GCM of the server's id (8
// bytes of a hash of the group's and the server's names: it survives restarts and reordering)
// and the cookie's expiry (Unix seconds), then the 16-byte tag, with the group's name as
// associated data. So a client cannot read which server it names, cannot make one up or move
// it to another group, and cannot keep one past its expiry; and a node opens a cookie whatever
// node sealed it, given the same secret. Keys come from global.sticky_secret (sealing and
// opening) and global.sticky_previous_secret (opening only). A cookie under the previous key, or
// past half its lifetime, is sealed again on the response.
class StickyCookie {
 public:
  static bool validName(std::string_view name);
  // Fills `group.sticky`'s keys, server ids, lifetime and Set-Cookie attributes.
  static void prepare(ServerGroupConfig& group, std::string_view secret,
                      std::string_view previousSecret = {});

  // The server the request's cookie names, or kNone: no cookie, a forged, tampered, expired or
  // foreign one, or one for a server no longer in the group. `reseal`: the cookie is good but
  // should be sent again (an older key, or past half its lifetime).
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Stuck {
    uint32_t server = kNone;
    bool reseal = false;
  };
  static Stuck serverOf(const StickyCookieConfig& sticky, const std::vector<HttpHeader>& headers,
                        int64_t now = std::time(nullptr));
  // Appends the `Set-Cookie:` header line that sends the client to `server`, sealed now.
  static void appendSetCookie(const StickyCookieConfig& sticky, uint32_t server, bool secure,
                              std::string& out, int64_t now = std::time(nullptr));
};

}  // namespace sluice
