#include "http/ascii.h"
#include "rules/rule.h"

namespace sluice {
namespace {

// Calls `visit(name, value)` for each `name=value` pair of a query string or Cookie header,
// split on `separator` (with optional spaces after it, as browsers write cookies).
template <typename Visit>
bool anyPair(std::string_view text, char separator, Visit visit) {
  while (!text.empty()) {
    const size_t end = text.find(separator);
    std::string_view pair = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    const size_t equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    if (visit(name, value)) return true;
  }
  return false;
}

bool headerMatches(const ValueMatch& match, const std::vector<HttpHeader>& headers) {
  for (const HttpHeader& header : headers) {
    if (equalsIgnoreCase(header.name, match.name) && match.matchesValue(header.value)) return true;
  }
  return false;
}

bool queryMatches(const ValueMatch& match, std::string_view query) {
  return anyPair(query, '&', [&](std::string_view name, std::string_view value) {
    return name == match.name && match.matchesValue(value);
  });
}

bool cookieMatches(const ValueMatch& match, const std::vector<HttpHeader>& headers) {
  for (const HttpHeader& header : headers) {
    if (!equalsIgnoreCase(header.name, "cookie")) continue;
    const bool found =
        anyPair(header.value, ';', [&](std::string_view name, std::string_view value) {
          return name == match.name && match.matchesValue(value);
        });
    if (found) return true;
  }
  return false;
}

template <typename T, typename Test>
bool anyOf(const std::vector<T>& items, Test test) {
  for (const T& item : items) {
    if (test(item)) return true;
  }
  return false;
}

}  // namespace

bool NamePattern::matches(std::string_view candidate) const {
  if (!candidate.empty() && candidate.back() == '.') candidate.remove_suffix(1);
  if (!wildcard) return equalsIgnoreCase(candidate, name);
  // One label, then the suffix: "a.example.test" for ".example.test", not "a.b.example.test".
  const size_t dot = candidate.find('.');
  return dot != 0 && dot != std::string_view::npos && equalsIgnoreCase(candidate.substr(dot), name);
}

bool ValueMatch::matchesValue(std::string_view candidate) const {
  switch (kind) {
    case Kind::kPresent:
      return true;
    case Kind::kValue:
      return candidate == value;
    case Kind::kRegex:
      return RE2::PartialMatch(candidate, *regex);
  }
  return false;
}

bool RuleMatch::matches(const RequestFacts& request) const {
  if (any) return true;
  if (!hosts.empty() && !anyOf(hosts, [&](auto& p) { return p.matches(request.host); })) {
    return false;
  }
  if (!paths.empty() && !anyOf(paths, [&](auto& p) { return request.path == p; })) return false;
  if (!pathPrefixes.empty() &&
      !anyOf(pathPrefixes, [&](auto& p) { return request.path.starts_with(p); })) {
    return false;
  }
  if (pathRegex && !RE2::PartialMatch(request.path, *pathRegex)) return false;
  if (!methods.empty() && !anyOf(methods, [&](auto& m) { return request.method == m; })) {
    return false;
  }
  for (const ValueMatch& header : headers) {
    if (!headerMatches(header, *request.headers)) return false;
  }
  for (const ValueMatch& query : queries) {
    if (!queryMatches(query, request.query)) return false;
  }
  for (const ValueMatch& cookie : cookies) {
    if (!cookieMatches(cookie, *request.headers)) return false;
  }
  if (source && !source->contains(*request.source)) return false;
  if (notSource && notSource->contains(*request.source)) return false;
  if (!snis.empty() && !anyOf(snis, [&](auto& p) { return p.matches(request.sni); })) {
    return false;
  }
  return true;
}

void RuleSet::evaluate(const RequestFacts& request, RuleDecision& decision) const {
  decision.clear();
  for (const Rule& rule : rules) {
    if (!rule.match.matches(request)) continue;
    if (!rule.requestEdits.empty()) decision.requestEdits.push_back(&rule.requestEdits);
    if (!rule.responseEdits.empty()) decision.responseEdits.push_back(&rule.responseEdits);
    if (rule.action != Rule::Action::kNone) {
      decision.terminal = &rule;
      return;
    }
  }
}

void RequestFacts::setRequest(const HttpRequestHead& head) {
  method = head.method;
  std::string_view hostPart = head.host;
  if (!hostPart.empty() && hostPart.front() == '[') {
    hostPart = hostPart.substr(0, hostPart.find(']') + 1);
  } else if (const size_t colon = hostPart.find(':'); colon != std::string_view::npos) {
    hostPart = hostPart.substr(0, colon);
  }
  host = hostPart;
  const size_t question = head.target.find('?');
  path = head.target.substr(0, question);
  query =
      question == std::string_view::npos ? std::string_view() : head.target.substr(question + 1);
  headers = &head.headers;
}

}  // namespace sluice
