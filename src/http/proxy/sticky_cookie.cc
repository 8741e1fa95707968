#include "http/proxy/sticky_cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "http/ascii.h"

namespace sluice {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

// The value of the cookie `name` in the request, or "" (the first one when sent twice).
std::string_view cookieValue(std::string_view name, const std::vector<HttpHeader>& headers) {
  for (const HttpHeader& header : headers) {
    if (!equalsIgnoreCase(header.name, "cookie")) continue;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const size_t end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ')
        pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
        return pair.substr(name.size() + 1);
      }
    }
  }
  return {};
}

}  // namespace

bool StickyCookie::validName(std::string_view name) {
  return isToken(name);
}

void StickyCookie::prepare(ServerGroupConfig& group, std::string_view secret) {
  StickyCookieConfig& sticky = group.sticky;
  sticky.values.clear();
  for (const ServerConfig& server : group.servers) {
    const std::string identity = group.name + '\0' + server.name;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    EVP_Digest(identity.data(), identity.size(), digest, &length, EVP_sha256(), nullptr);
    const std::string id = hex(digest, 8);
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest, &length);
    sticky.values.push_back(id + "." + hex(digest, 16));
  }
  sticky.attributes = "; Path=/";
  if (sticky.maxAgeSeconds > 0)
    sticky.attributes += "; Max-Age=" + std::to_string(sticky.maxAgeSeconds);
  if (sticky.httpOnly) sticky.attributes += "; HttpOnly";
  if (!sticky.sameSite.empty()) sticky.attributes += "; SameSite=" + sticky.sameSite;
}

uint32_t StickyCookie::serverOf(const StickyCookieConfig& sticky,
                                const std::vector<HttpHeader>& headers) {
  const std::string_view value = cookieValue(sticky.name, headers);
  if (value.empty()) return kNone;
  for (size_t i = 0; i < sticky.values.size(); ++i) {
    const std::string& expected = sticky.values[i];
    if (value.size() == expected.size() &&
        CRYPTO_memcmp(value.data(), expected.data(), expected.size()) == 0) {
      return static_cast<uint32_t>(i);
    }
  }
  return kNone;
}

void StickyCookie::appendSetCookie(const StickyCookieConfig& sticky, uint32_t server, bool secure,
                                   std::string& out) {
  out.append("Set-Cookie: ").append(sticky.name).append("=").append(sticky.values[server]);
  out.append(sticky.attributes);
  if (secure) out.append("; Secure");
  out.append("\r\n");
}

}  // namespace sluice
