#pragma once

// What the admin API tests read from curl's answers, and the token hashes their configs list.

#include <openssl/evp.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace sluice::test {

using json = nlohmann::json;

inline std::string sha256Hex(const std::string& text) {
  unsigned char digest[32];
  unsigned length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned char byte : digest) {
    std::snprintf(two, sizeof two, "%02x", byte);
    hex += two;
  }
  return hex;
}

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
  json parsed() const { return json::parse(body, nullptr, false); }
  // A response header's value ("" when absent).
  std::string header(const std::string& name) const {
    const size_t at = headers.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const size_t from = at + name.size() + 4;
    return headers.substr(from, headers.find("\r\n", from) - from);
  }
};

// What `curl -i` printed, as a Reply.
inline Reply replyOf(const std::string& out) {
  Reply reply;
  const size_t split = out.find("\r\n\r\n");
  reply.headers = out.substr(0, split);
  reply.body = split == std::string::npos ? "" : out.substr(split + 4);
  if (out.rfind("HTTP/1.1 ", 0) == 0) reply.status = std::stoi(out.substr(9, 3));
  return reply;
}

}  // namespace sluice::test
