#include "server/admin/api_access.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

namespace sluice {
namespace {

constexpr unsigned kMaxFailures = 10;
constexpr auto kFailureWindow = std::chrono::minutes(1);

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "name", "name:port", "[v6]", "[v6]:port" → the name, lower case.
std::string hostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return lower(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  return lower(host.substr(0, host.find(':')));
}

constexpr std::string_view kBearer = "bearer ";

bool isBearer(std::string_view authorization) {
  return authorization.size() > kBearer.size() &&
         lower(authorization.substr(0, kBearer.size())) == kBearer;
}

}  // namespace

const AdminToken* ApiAccess::find(const AdminConfig& admin, std::string_view authorization) const {
  if (!isBearer(authorization)) return nullptr;
  const std::string_view token = authorization.substr(kBearer.size());
  unsigned char digest[32];
  unsigned length = 0;
  EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(), nullptr);
  // Every token is compared, each in constant time: neither the time nor the order says which
  // one was close.
  const AdminToken* match = nullptr;
  for (const AdminToken& candidate : admin.tokens) {
    if (CRYPTO_memcmp(digest, candidate.sha256.data(), sizeof digest) == 0) match = &candidate;
  }
  return match;
}

std::string ApiAccess::tokenName(const AdminConfig& admin, std::string_view authorization) const {
  const AdminToken* token = find(admin, authorization);
  return token ? token->name : "-";
}

bool ApiAccess::hostAllowed(const AdminConfig& admin, std::string_view host) const {
  const std::string name = hostName(host);
  const std::string own = admin.listen.family() == AF_INET6 ? "[" + admin.listen.ipString() + "]"
                                                            : admin.listen.ipString();
  if (name == own || name == "localhost" || name == "127.0.0.1" || name == "[::1]") return true;
  for (const std::string& allowed : admin.allowedHosts) {
    if (name == allowed) return true;
  }
  return false;
}

ApiAccess::Verdict ApiAccess::check(const AdminConfig& admin, std::string_view authorization,
                                    const std::string& address, bool write) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto found = failures_.find(address);
    if (found != failures_.end()) {
      if (now - found->second.since >= kFailureWindow) {
        failures_.erase(found);
      } else if (found->second.count >= kMaxFailures) {
        return {429, "too many failed attempts from " + address + ": wait a minute", {}};
      }
    }
  }
  Verdict verdict;
  if (authorization.empty()) {
    if (admin.tokens.empty() && !write) return verdict;  // loopback, no tokens: read-only
    verdict.status = 401;
    verdict.reason = admin.tokens.empty() ? "no admin.tokens are configured: the API is read-only"
                                          : "an Authorization: Bearer token is required";
    return verdict;  // not a failed attempt: nothing was tried
  }
  const bool bearer = isBearer(authorization);
  const AdminToken* match = find(admin, authorization);
  if (!match) {
    std::lock_guard lock(mutex_);
    Failures& failures = failures_[address];
    if (failures.count == 0) failures.since = now;
    ++failures.count;
    verdict.status = 401;
    verdict.reason = bearer ? "the token is not valid" : "expected Authorization: Bearer TOKEN";
    return verdict;
  }
  verdict.caller = {match->name, match->role == AdminToken::Role::kAdmin};
  if (write && !verdict.caller.admin) {
    verdict.status = 403;
    verdict.reason = "token '" + match->name + "' has role read: it cannot change anything";
  }
  return verdict;
}

}  // namespace sluice
