#include "http/path_normalizer.h"

namespace sluice {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Whether the path could need any step: an escape, an empty segment or a dot segment.
bool mayNeedWork(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') return true;
    if (c == '/' && i + 1 < path.size() && (path[i + 1] == '/' || path[i + 1] == '.')) return true;
  }
  return false;
}

// Escapes: unreserved characters decoded (when asked), the rest kept with upper-case hex.
PathVerdict decodeEscapes(std::string_view path, bool decodeUnreserved, std::string& out) {
  out.clear();
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out.push_back(path[i]);
      continue;
    }
    const int high = i + 2 < path.size() ? hexValue(path[i + 1]) : -1;
    const int low = high >= 0 ? hexValue(path[i + 2]) : -1;
    if (low < 0) return PathVerdict::kBadEscape;
    const char decoded = static_cast<char>(high * 16 + low);
    if (decodeUnreserved && isUnreserved(decoded)) {
      out.push_back(decoded);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[high]);
      out.push_back(kHex[low]);
    }
    i += 2;
  }
  return PathVerdict::kRewritten;
}

// Segment by segment: empty ones merged, `.` dropped, `..` removing the segment before it.
PathVerdict resolveSegments(std::string_view path, const PathNormalization& how, std::string& out) {
  out.clear();
  size_t depth = 0;  // segments in `out`, for a climb above the root when dots are kept
  for (size_t at = 0; at < path.size();) {
    size_t end = path.find('/', at + 1);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(at + 1, end - at - 1);
    const bool last = end == path.size();
    at = end;
    if (segment == "..") {
      if (depth == 0) return PathVerdict::kAboveRoot;
      --depth;
      if (how.removeDotSegments) {
        out.resize(out.rfind('/'));
        if (last) out.push_back('/');
        continue;
      }
    } else if (segment == "." && how.removeDotSegments) {
      if (last) out.push_back('/');
      continue;
    } else if (segment.empty() && !last && how.mergeSlashes) {
      continue;
    } else if (segment != ".") {
      ++depth;
    }
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty()) out.push_back('/');
  return PathVerdict::kRewritten;
}

}  // namespace

PathVerdict normalisePath(std::string_view path, const PathNormalization& how, std::string& out,
                          std::string& scratch) {
  if (!mayNeedWork(path)) return PathVerdict::kUnchanged;
  std::string_view decoded = path;
  if (path.find('%') != std::string_view::npos) {
    const PathVerdict verdict = decodeEscapes(path, how.decodeUnreserved, scratch);
    if (verdict != PathVerdict::kRewritten) return verdict;
    decoded = scratch;
  }
  const PathVerdict verdict = resolveSegments(decoded, how, out);
  if (verdict == PathVerdict::kRewritten && out == path) return PathVerdict::kUnchanged;
  return verdict;
}

}  // namespace sluice
