#include "http/proxy/sticky_cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>

#include "http/ascii.h"

namespace sluice {
namespace {

constexpr size_t kNonce = 12, kPlain = 16, kTag = 16;
constexpr size_t kSealed = kNonce + kPlain + kTag;      // 44 bytes
constexpr size_t kSealedText = (kSealed * 4 + 2) / 3;   // 59 base64url characters
constexpr size_t kValueSize = 8 + 1 + kSealedText;      // "<key id>.<sealed>"
constexpr uint64_t kSessionCookieLifetime = 12 * 3600;  // no max_age: honoured 12 hours

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

// base64url without padding (RFC 4648 §5), through OpenSSL's base64.
std::string toBase64Url(const unsigned char* bytes, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// Exactly kSealed bytes from their canonical text, else false (another text for the same bytes
// is a tampered cookie, not the same one).
bool fromBase64Url(std::string_view text, std::array<unsigned char, kSealed>& out) {
  if (text.size() != kSealedText) return false;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return false;
  }
  while (standard.size() % 4 != 0)
    standard.push_back('=');
  unsigned char decoded[kSealed + 3];
  if (EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(standard.data()),
                      static_cast<int>(standard.size())) < static_cast<int>(kSealed)) {
    return false;
  }
  std::memcpy(out.data(), decoded, kSealed);
  return toBase64Url(out.data(), kSealed) == text;
}

const EVP_CIPHER* aesGcm() {
  static const EVP_CIPHER* cipher = EVP_aes_256_gcm();
  return cipher;
}

// A cipher context with `key` already expanded, per thread, for sealing or opening: a cookie
// then costs setting its nonce, not the key schedule. A few keys are kept (a reload or a
// rotation brings new ones); the least recently made is replaced.
EVP_CIPHER_CTX* contextFor(const StickyCookieConfig::Key& key, bool encrypt) {
  struct Slot {
    std::array<unsigned char, 32> aes{};
    bool encrypt = false;
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> context{nullptr,
                                                                            &EVP_CIPHER_CTX_free};
  };
  thread_local std::array<Slot, 4> slots;
  thread_local size_t next = 0;
  for (Slot& slot : slots) {
    if (slot.context && slot.encrypt == encrypt && slot.aes == key.aes) return slot.context.get();
  }
  Slot& slot = slots[next];
  next = (next + 1) % slots.size();
  slot.context.reset(EVP_CIPHER_CTX_new());
  slot.aes = key.aes;
  slot.encrypt = encrypt;
  if (!slot.context || EVP_CipherInit_ex(slot.context.get(), aesGcm(), nullptr, key.aes.data(),
                                         nullptr, encrypt ? 1 : 0) != 1) {
    slot.context.reset();
    return nullptr;
  }
  return slot.context.get();
}

StickyCookieConfig::Key keyOf(std::string_view secret) {
  StickyCookieConfig::Key key;
  static constexpr std::string_view kLabel = "sluice sticky cookie key v2";
  unsigned length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), key.aes.data(),
       &length);
  unsigned char digest[EVP_MAX_MD_SIZE];
  const std::string named =
      "sluice sticky key id" +
      std::string(reinterpret_cast<const char*>(key.aes.data()), key.aes.size());
  EVP_Digest(named.data(), named.size(), digest, &length, EVP_sha256(), nullptr);
  key.id = hex(digest, 4);
  return key;
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

// AES-256-GCM over the 16-byte plaintext, the group's name authenticated with it.
bool seal(const StickyCookieConfig& sticky, const unsigned char* plain,
          std::array<unsigned char, kSealed>& out) {
  EVP_CIPHER_CTX* context = contextFor(sticky.keys[0], true);
  int length = 0;
  return context && RAND_bytes(out.data(), kNonce) == 1 &&
         EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, out.data()) == 1 &&
         EVP_EncryptUpdate(context, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(sticky.group.data()),
                           static_cast<int>(sticky.group.size())) == 1 &&
         EVP_EncryptUpdate(context, out.data() + kNonce, &length, plain, kPlain) == 1 &&
         EVP_EncryptFinal_ex(context, out.data() + kNonce + length, &length) == 1 &&
         EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, kTag, out.data() + kNonce + kPlain) ==
             1;
}

bool open(const StickyCookieConfig::Key& key, const std::string& group,
          const std::array<unsigned char, kSealed>& sealed, unsigned char* plain) {
  EVP_CIPHER_CTX* context = contextFor(key, false);
  int length = 0;
  return context && EVP_DecryptInit_ex(context, nullptr, nullptr, nullptr, sealed.data()) == 1 &&
         EVP_DecryptUpdate(context, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(group.data()),
                           static_cast<int>(group.size())) == 1 &&
         EVP_DecryptUpdate(context, plain, &length, sealed.data() + kNonce, kPlain) == 1 &&
         EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, kTag,
                             const_cast<unsigned char*>(sealed.data() + kNonce + kPlain)) == 1 &&
         EVP_DecryptFinal_ex(context, plain + length, &length) == 1;
}

}  // namespace

bool StickyCookie::validName(std::string_view name) {
  return isToken(name);
}

void StickyCookie::prepare(ServerGroupConfig& group, std::string_view secret,
                           std::string_view previousSecret) {
  StickyCookieConfig& sticky = group.sticky;
  sticky.keys = {keyOf(secret)};
  if (!previousSecret.empty() && previousSecret != secret) {
    sticky.keys.push_back(keyOf(previousSecret));
  }
  sticky.group = group.name;
  sticky.ids.clear();
  for (const ServerConfig& server : group.servers) {
    const std::string identity = group.name + '\0' + server.name;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    EVP_Digest(identity.data(), identity.size(), digest, &length, EVP_sha256(), nullptr);
    std::array<unsigned char, 8>& id = sticky.ids.emplace_back();
    std::memcpy(id.data(), digest, id.size());
  }
  sticky.lifetimeSeconds = sticky.maxAgeSeconds > 0 ? sticky.maxAgeSeconds : kSessionCookieLifetime;
  sticky.attributes = "; Path=/";
  if (sticky.maxAgeSeconds > 0)
    sticky.attributes += "; Max-Age=" + std::to_string(sticky.maxAgeSeconds);
  if (sticky.httpOnly) sticky.attributes += "; HttpOnly";
  if (!sticky.sameSite.empty()) sticky.attributes += "; SameSite=" + sticky.sameSite;
}

StickyCookie::Stuck StickyCookie::serverOf(const StickyCookieConfig& sticky,
                                           const std::vector<HttpHeader>& headers, int64_t now) {
  const std::string_view value = cookieValue(sticky.name, headers);
  if (value.size() != kValueSize || value[8] != '.') return {};
  size_t key = 0;
  while (key < sticky.keys.size() && value.substr(0, 8) != sticky.keys[key].id)
    ++key;
  std::array<unsigned char, kSealed> sealed;
  unsigned char plain[kPlain + 16];
  if (key == sticky.keys.size() || !fromBase64Url(value.substr(9), sealed) ||
      !open(sticky.keys[key], sticky.group, sealed, plain)) {
    return {};
  }
  uint64_t expiry = 0;
  for (size_t i = 8; i < kPlain; ++i)
    expiry = expiry << 8 | plain[i];
  if (static_cast<int64_t>(expiry) < now) return {};
  for (size_t i = 0; i < sticky.ids.size(); ++i) {
    if (CRYPTO_memcmp(plain, sticky.ids[i].data(), sticky.ids[i].size()) == 0) {
      const bool old =
          static_cast<int64_t>(expiry) - now < static_cast<int64_t>(sticky.lifetimeSeconds / 2);
      return {static_cast<uint32_t>(i), key != 0 || old};
    }
  }
  return {};
}

void StickyCookie::appendSetCookie(const StickyCookieConfig& sticky, uint32_t server, bool secure,
                                   std::string& out, int64_t now) {
  unsigned char plain[kPlain];
  std::memcpy(plain, sticky.ids[server].data(), 8);
  const uint64_t expiry = static_cast<uint64_t>(now) + sticky.lifetimeSeconds;
  for (size_t i = 0; i < 8; ++i)
    plain[8 + i] = static_cast<unsigned char>(expiry >> (56 - 8 * i));
  std::array<unsigned char, kSealed> sealed;
  if (!seal(sticky, plain, sealed)) return;  // no randomness: no cookie, the request still goes
  out.append("Set-Cookie: ").append(sticky.name).append("=").append(sticky.keys[0].id);
  out.append(".").append(toBase64Url(sealed.data(), kSealed));
  out.append(sticky.attributes);
  if (secure) out.append("; Secure");
  out.append("\r\n");
}

}  // namespace sluice
