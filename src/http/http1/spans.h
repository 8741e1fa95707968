#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace sluice {

// llhttp reports a field in pieces when it spans two feeds; the pieces are adjacent in the
// caller's buffer, so a field is one view grown to cover each new piece.
inline void extendSpan(std::string_view& view, const char* at, size_t length) {
  if (view.data() == nullptr) {
    view = std::string_view(at, length);
  } else {
    view = std::string_view(view.data(), static_cast<size_t>(at + length - view.data()));
  }
}

// Whether the bytes consumed up to `end` finish with CRLF. llhttp 8, even strict, takes a bare
// LF as the blank line that ends a head or a chunked body's trailers; Sluice does not. The
// byte before `end` may belong to an earlier feed whose buffer is gone: `previous` is the last
// byte consumed then.
inline bool endsWithCrlf(const char* data, size_t consumed, char previous) {
  if (consumed == 0 || data[consumed - 1] != '\n') return false;
  return (consumed >= 2 ? data[consumed - 2] : previous) == '\r';
}

// Whether a LF in `data[0, size)` is not preceded by CR (`previous`: the byte before data).
// memchr finds the few LFs of a head at a time, rather than a test per byte.
inline bool containsBareLf(const char* data, size_t size, char previous) {
  const char* const end = data + size;
  for (const char* at = data; at < end; ++at) {
    at = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
    if (at == nullptr) return false;
    if ((at == data ? previous : at[-1]) != '\r') return true;
  }
  return false;
}

}  // namespace sluice
