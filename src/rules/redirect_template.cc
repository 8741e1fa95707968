#include "rules/redirect_template.h"

#include <charconv>

namespace sluice {

bool RedirectTemplate::compile(std::string_view text, std::string& error) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"scheme", Field::kScheme}, {"host", Field::kHost},   {"port", Field::kPort},
      {"path", Field::kPath},     {"query", Field::kQuery},
  };
  pieces_.clear();
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    if (open != at) {
      const size_t end = open == std::string_view::npos ? text.size() : open;
      pieces_.push_back({Field::kLiteral, std::string(text.substr(at, end - at))});
      at = end;
      continue;
    }
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      error = "'{' at position " + std::to_string(open) + " is never closed";
      return false;
    }
    const std::string_view name = text.substr(open + 1, close - open - 1);
    bool known = false;
    for (auto [field, kind] : kFields) {
      if (name == field) {
        pieces_.push_back({kind, ""});
        known = true;
      }
    }
    if (!known) {
      error = "unknown field {" + std::string(name) +
              "} (known fields: {scheme} {host} {port} {path} {query})";
      return false;
    }
    at = close + 1;
  }
  if (pieces_.empty()) {
    error = "is empty";
    return false;
  }
  return true;
}

void RedirectTemplate::render(const RequestFacts& request, std::string& out) const {
  for (const Piece& piece : pieces_) {
    switch (piece.field) {
      case Field::kLiteral:
        out.append(piece.literal);
        break;
      case Field::kScheme:
        out.append(request.scheme);
        break;
      case Field::kHost:
        out.append(request.host);
        break;
      case Field::kPort: {
        char digits[8];
        const auto end = std::to_chars(digits, digits + sizeof digits, request.port).ptr;
        out.append(digits, end);
        break;
      }
      case Field::kPath:
        out.append(request.path.empty() ? "/" : request.path);
        break;
      case Field::kQuery:
        if (!request.query.empty()) out.append("?").append(request.query);
        break;
    }
  }
}

}  // namespace sluice
