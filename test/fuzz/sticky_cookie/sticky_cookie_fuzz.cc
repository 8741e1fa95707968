// libFuzzer target: sticky-cookie opening. Whatever Cookie fields a client sends, the server it
// is sent to is one the group sealed a cookie for, and only for that exact value: a forged,
// truncated, re-encoded or tampered cookie names no server.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "http/proxy/sticky_cookie.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  static const ServerGroupConfig group = [] {
    ServerGroupConfig g;
    g.name = "web";
    for (const char* name : {"w1", "w2", "w3"}) {
      ServerConfig server;
      server.name = name;
      g.servers.push_back(server);
    }
    g.sticky.enabled = true;
    StickyCookie::prepare(g, "a fuzzing secret of sufficient length");
    return g;
  }();
  // Cookies the group sealed, by value.
  static const std::map<std::string, uint32_t> sealed = [] {
    std::map<std::string, uint32_t> out;
    for (uint32_t server = 0; server < group.servers.size(); ++server) {
      for (int copy = 0; copy < 3; ++copy) {
        std::string line;
        StickyCookie::appendSetCookie(group.sticky, server, false, line);
        const size_t from = line.find('=') + 1;
        out[line.substr(from, line.find(';') - from)] = server;
      }
    }
    return out;
  }();
  const std::string input(reinterpret_cast<const char*>(data), size);
  // Up to three Cookie fields, split where the input has NUL bytes.
  std::vector<std::string> values;
  for (size_t at = 0; values.size() < 3;) {
    const size_t end = input.find('\0', at);
    values.push_back(input.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  std::vector<HttpHeader> headers;
  for (const std::string& value : values)
    headers.push_back({"Cookie", value});
  const uint32_t server = StickyCookie::serverOf(group.sticky, headers).server;
  if (server == StickyCookie::kNone) return 0;
  if (server >= group.servers.size()) __builtin_trap();
  // It can only be because one of the exact sealed values is there.
  bool found = false;
  for (const std::string& value : values) {
    for (const auto& [cookie, to] : sealed)
      found = found || (to == server && value.find(cookie) != std::string::npos);
  }
  if (!found) __builtin_trap();
  return 0;
}
