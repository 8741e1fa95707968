#include "server/admin/api_token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/hex.h"

namespace sluice {

std::string newApiToken() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) return "";
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  for (size_t i = 0; i < sizeof random; i += 3) {
    const unsigned v = (random[i] << 16) | ((i + 1 < sizeof random ? random[i + 1] : 0) << 8) |
                       (i + 2 < sizeof random ? random[i + 2] : 0);
    const size_t chars = i + 2 < sizeof random ? 4 : i + 1 < sizeof random ? 3 : 2;
    for (size_t c = 0; c < chars; ++c)
      text.push_back(kAlphabet[(v >> (18 - 6 * c)) & 63]);
  }
  return text;
}

std::string apiTokenSha256(const std::string& token) {
  unsigned char digest[32];
  unsigned length = 0;
  EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(), nullptr);
  return hexOf(digest, sizeof digest);
}

}  // namespace sluice
