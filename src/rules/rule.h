#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/cidr.h"
#include "rules/redirect_template.h"
#include "rules/request_facts.h"

namespace sluice {

// A host or SNI pattern: an exact name, or `*.suffix` matching one more label (lower case,
// no trailing dot; requests are compared case-insensitively).
struct NamePattern {
  std::string name;  // for a wildcard, the suffix with its leading dot: ".example.test"
  bool wildcard = false;
  bool matches(std::string_view candidate) const;
};

// `header: {name, value | regex | present}`; also the shape of `query` and `cookie` (which
// take value or present).
struct ValueMatch {
  enum class Kind { kPresent, kValue, kRegex };
  std::string name;
  Kind kind = Kind::kPresent;
  std::string value;
  std::shared_ptr<const RE2> regex;
  bool matchesValue(std::string_view candidate) const;
};

// Every condition given must hold. Compiled when the config loads: names lower-cased,
// regexes built, networks in tries; matches() allocates nothing.
struct RuleMatch {
  bool any = false;
  std::vector<NamePattern> hosts;  // any of them
  std::vector<std::string> paths;  // exact, any of them
  std::vector<std::string> pathPrefixes;
  std::shared_ptr<const RE2> pathRegex;  // searched in the path; anchor with ^ and $
  std::vector<std::string> methods;
  std::vector<ValueMatch> headers;  // all of them
  std::vector<ValueMatch> queries;
  std::vector<ValueMatch> cookies;
  std::shared_ptr<const CidrSet> source;     // the client is inside
  std::shared_ptr<const CidrSet> notSource;  // the client is outside
  std::vector<NamePattern> snis;

  bool matches(const RequestFacts& request) const;
};

// Header changes on the way to the server or back to the client, applied in rule order:
// removals, then `set` (replacing every header of that name), then `add`.
struct HeaderEdits {
  std::vector<std::string> remove;  // lower case
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  bool empty() const { return remove.empty() && set.empty() && add.empty(); }
};

struct Rule {
  enum class Action { kNone, kAllow, kDeny, kRedirect, kRoute, kRespond };
  std::string name;  // for the access log; "rules[N]" when the config names none
  RuleMatch match;
  Action action = Action::kNone;  // kNone: header changes only, evaluation goes on
  int status = 0;                 // deny, redirect, respond
  RedirectTemplate redirect;
  std::string group;  // route
  size_t groupIndex = static_cast<size_t>(-1);
  std::string response;  // respond: the whole response, made at load
  HeaderEdits requestEdits;
  HeaderEdits responseEdits;
};

// What the rules decided for one request: the terminal rule (or none: the VIP's default
// group), and the header changes of every matching rule up to it, in order. Reused between
// requests: its vectors keep their capacity.
struct RuleDecision {
  const Rule* terminal = nullptr;
  std::vector<const HeaderEdits*> requestEdits;
  std::vector<const HeaderEdits*> responseEdits;
  void clear() {
    terminal = nullptr;
    requestEdits.clear();
    responseEdits.clear();
  }
};

// A VIP's ordered rules. The first matching rule with a terminal action decides; header
// changes of matching rules before it (and its own) accumulate.
struct RuleSet {
  std::vector<Rule> rules;
  void evaluate(const RequestFacts& request, RuleDecision& decision) const;
};

}  // namespace sluice
