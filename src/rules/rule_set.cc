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

bool headerMatches(const ValueMatch& match, const std::vector<HttpHeader>& headers,
                   RegexHits& regexes) {
  if (match.kind == ValueMatch::Kind::kRegex) return regexes.hit(match.regexGroup, *match.regex);
  for (const HttpHeader& header : headers) {
    if (equalsIgnoreCase(header.name, match.name) && match.matchesValue(header.value)) return true;
  }
  return false;
}

bool pairMatches(const ValueMatch& match, const RequestPairs::Pairs& pairs) {
  for (const auto& [name, value] : pairs) {
    if (name == match.name && match.matchesValue(value)) return true;
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

bool RuleMatch::matches(const RequestFacts& request, MatchScratch& scratch) const {
  RegexHits& regexes = scratch.regexes;
  if (any) return true;
  if (!hosts.empty() && !anyOf(hosts, [&](auto& p) { return p.matches(request.host); })) {
    return false;
  }
  if (!paths.empty() && !anyOf(paths, [&](auto& p) { return request.path == p; })) return false;
  if (!pathPrefixes.empty() &&
      !anyOf(pathPrefixes, [&](auto& p) { return request.path.starts_with(p); })) {
    return false;
  }
  if (pathRegex && !regexes.hit(pathRegexGroup, *pathRegex)) return false;
  if (!methods.empty() && !anyOf(methods, [&](auto& m) { return request.method == m; })) {
    return false;
  }
  for (const ValueMatch& header : headers) {
    if (!headerMatches(header, *request.headers, regexes)) return false;
  }
  for (const ValueMatch& query : queries) {
    if (!pairMatches(query, scratch.pairs.query())) return false;
  }
  for (const ValueMatch& cookie : cookies) {
    if (!pairMatches(cookie, scratch.pairs.cookies())) return false;
  }
  if (source && !source->contains(*request.source)) return false;
  if (notSource && notSource->contains(*request.source)) return false;
  if (!snis.empty() && !anyOf(snis, [&](auto& p) { return p.matches(request.sni); })) {
    return false;
  }
  return true;
}

void RequestPairs::reset(const RequestFacts& request) {
  request_ = &request;
  haveQuery_ = haveCookies_ = false;
}

const RequestPairs::Pairs& RequestPairs::query() {
  if (!haveQuery_) {
    haveQuery_ = true;
    query_.clear();
    anyPair(request_->query, '&', [&](std::string_view name, std::string_view value) {
      query_.emplace_back(name, value);
      return false;
    });
  }
  return query_;
}

const RequestPairs::Pairs& RequestPairs::cookies() {
  if (!haveCookies_) {
    haveCookies_ = true;
    cookies_.clear();
    for (const HttpHeader& header : *request_->headers) {
      if (!equalsIgnoreCase(header.name, "cookie")) continue;
      anyPair(header.value, ';', [&](std::string_view name, std::string_view value) {
        cookies_.emplace_back(name, value);
        return false;
      });
    }
  }
  return cookies_;
}

void RegexHits::reset(const std::vector<RegexGroup>& groups, const RequestFacts& request) {
  groups_ = &groups;
  request_ = &request;
  state_.assign(groups.size(), kUnknown);
}

bool RegexHits::hit(int group, const RE2& regex) {
  const auto g = static_cast<size_t>(group);
  const RegexGroup& regexes = (*groups_)[g];
  if (state_[g] == kUnknown) {
    bool some = false;
    if (regexes.header.empty()) {
      some = regexes.set->Match(request_->path, nullptr);
    } else {
      for (const HttpHeader& header : *request_->headers) {
        if (equalsIgnoreCase(header.name, regexes.header) &&
            regexes.set->Match(header.value, nullptr)) {
          some = true;
          break;
        }
      }
    }
    state_[g] = some ? kSome : kNone;
  }
  if (state_[g] == kNone) return false;
  if (regexes.header.empty()) return RE2::PartialMatch(request_->path, regex);
  for (const HttpHeader& header : *request_->headers) {
    if (equalsIgnoreCase(header.name, regexes.header) && RE2::PartialMatch(header.value, regex)) {
      return true;
    }
  }
  return false;
}

bool RuleSet::groupRegexes(std::string& error) {
  regexGroups.clear();
  auto add = [&](const std::string& header, const RE2& regex, int& group) {
    size_t g = 0;
    while (g < regexGroups.size() && regexGroups[g].header != header)
      ++g;
    if (g == regexGroups.size()) {
      RE2::Options options;
      options.set_log_errors(false);
      regexGroups.push_back({header, std::make_shared<RE2::Set>(options, RE2::UNANCHORED)});
    }
    group = static_cast<int>(g);
    regexGroups[g].set->Add(regex.pattern(), nullptr);
  };
  for (Rule& rule : rules) {
    RuleMatch& match = rule.match;
    if (match.pathRegex) add("", *match.pathRegex, match.pathRegexGroup);
    for (ValueMatch& header : match.headers) {
      if (header.kind != ValueMatch::Kind::kRegex) continue;
      std::string name = header.name;
      for (char& c : name)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      add(name, *header.regex, header.regexGroup);
    }
  }
  for (const RegexGroup& group : regexGroups) {
    if (!group.set->Compile()) {
      error = "the regular expressions on " + (group.header.empty() ? "the path" : group.header) +
              " are too large to compile together";
      return false;
    }
  }
  return true;
}

void RuleSet::evaluate(const RequestFacts& request, RuleDecision& decision) const {
  decision.clear();
  decision.scratch.regexes.reset(regexGroups, request);
  decision.scratch.pairs.reset(request);
  for (const Rule& rule : rules) {
    if (!rule.match.matches(request, decision.scratch)) continue;
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
  path = head.path;  // normalised
  query = head.query;
  headers = &head.headers;
}

}  // namespace sluice
