#pragma once

#include <cstddef>
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

}  // namespace sluice
