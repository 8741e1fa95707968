#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/request_facts.h"

namespace sluice {

// A redirect target such as "https://shop.example.test{path}{query}", compiled once when the
// config loads into literal pieces and fields, so that rendering it for a request is appends
// into a reused buffer. Fields: {scheme} {host} {port} {path} {query}; {query} includes its
// leading '?' when the request has a query and is empty otherwise.
class RedirectTemplate {
 public:
  // False, with `error` saying where, for an unknown field or an unclosed brace.
  bool compile(std::string_view text, std::string& error);
  void render(const RequestFacts& request, std::string& out) const;
  bool empty() const { return pieces_.empty(); }

 private:
  enum class Field { kLiteral, kScheme, kHost, kPort, kPath, kQuery };
  struct Piece {
    Field field;
    std::string literal;
  };
  std::vector<Piece> pieces_;
};

}  // namespace sluice
