#pragma once

#include <string>
#include <string_view>

#include "config/request_policy.h"

namespace sluice {

enum class PathVerdict {
  kUnchanged,  // already normal: `out` is untouched and the path is used as it is
  kRewritten,  // the normal form is in `out`
  kBadEscape,  // a `%` not followed by two hex digits
  kAboveRoot,  // a `..` segment would climb above `/`
};

// Normalises an origin-form path (it starts with `/`, no query). Linear in the path's length;
// `out` and `scratch` are the caller's, their capacity reused. A path with neither `%`, `//`
// nor a dot segment is recognised in one scan and never copied.
PathVerdict normalisePath(std::string_view path, const PathNormalization& how, std::string& out,
                          std::string& scratch);

}  // namespace sluice
