#pragma once

#include <array>
#include <cstring>
#include <string_view>

namespace sluice {

// HTTP field names and tokens compare case-insensitively, in ASCII only (RFC 9110 §5.1).
// Inline rather than strncasecmp: the strings are short (field names, tokens), compared many
// times per message, and may hold a NUL, where strncasecmp would stop.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char x = static_cast<unsigned char>(a[i]);
    const unsigned char y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    const unsigned char lower = x | 0x20;
    if (lower != (y | 0x20) || lower < 'a' || lower > 'z') return false;
  }
  return true;
}

inline bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// The characters of a token (RFC 9110 §5.6.2): what header names, methods and cookie names are
// made of. A table, since every field name of every message is checked against it.
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c)
    table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    table[c] = table[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

inline bool isToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Whether a field value holds a CR or LF (a folded line, which llhttp passes on).
// A request target's text (RFC 9112 §3.2, RFC 3986): visible ASCII only. No space, control
// byte, DEL or byte above 0x7F, whichever protocol carried it: an HTTP/2 :path is bytes, and an
// HTTP/1.1 server must never be sent a request line it could read another way.
inline bool isVisibleAscii(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e) return false;
  }
  return true;
}

inline bool hasLineBreak(std::string_view value) {
  // An empty view may have no data pointer at all, which memchr must not get.
  return !value.empty() && (std::memchr(value.data(), '\r', value.size()) != nullptr ||
                            std::memchr(value.data(), '\n', value.size()) != nullptr);
}

// Strips spaces and tabs from both ends (optional whitespace, RFC 9110 §5.6.3).
inline std::string_view trimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

}  // namespace sluice
