#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace sluice {

// Who may use the admin listener, decided per request before any handler runs:
// - the Host header must name the listener (its address, localhost) or one of
//   admin.allowed_hosts: a page on another site cannot reach it through DNS rebinding;
// - the API wants `Authorization: Bearer TOKEN` (never a cookie, so no CSRF), whose SHA-256 is
//   compared in constant time with every configured token's; a `read` token may only read;
// - with no token configured (only allowed on loopback), the API can be read without one and
//   never written;
// - an address that failed to authenticate 10 times within a minute gets 429 until the minute
//   is over, whatever it sends.
// Thread-safe (the admin listener's threads share one).
class ApiAccess {
 public:
  struct Caller {
    std::string token = "-";  // the token's name, "-" for none
    bool admin = false;
  };
  struct Verdict {
    int status = 200;  // 200: go on; else 401, 403, 429 with `reason`
    std::string reason;
    Caller caller;
  };

  bool hostAllowed(const AdminConfig& admin, std::string_view host) const;
  // The name of the token `authorization` carries, or "-": for the audit log (counts nothing).
  std::string tokenName(const AdminConfig& admin, std::string_view authorization) const;
  Verdict check(const AdminConfig& admin, std::string_view authorization,
                const std::string& address, bool write);

 private:
  struct Failures {
    unsigned count = 0;
    std::chrono::steady_clock::time_point since;
  };
  const AdminToken* find(const AdminConfig& admin, std::string_view authorization) const;
  std::mutex mutex_;
  std::map<std::string, Failures> failures_;  // by client address
};

}  // namespace sluice
