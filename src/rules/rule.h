#pragma once

#include <re2/re2.h>
#include <re2/set.h>

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
  int regexGroup = -1;  // the RuleSet's group that holds it too (see RegexHits)
  bool matchesValue(std::string_view candidate) const;
};

// The regexes of a rule set that look at the same text (the path, or one header), compiled
// together into one RE2::Set: a request's text is scanned once for all of them. On the common
// path none matches (a browser is not a bad bot), which that one scan proves, however many
// rules have one; only when some regex of the group matches is each rule's own checked.
struct RegexGroup {
  std::string header;  // lower case; empty: the path
  std::shared_ptr<RE2::Set> set;
};

// Whether any regex of each group matches this request, found on first use and kept for the
// rest of the evaluation. Reused between requests (capacity kept); allocates nothing.
class RegexHits {
 public:
  void reset(const std::vector<RegexGroup>& groups, const RequestFacts& request);
  // Whether `regex`, one of `group`'s, matches the request's text.
  bool hit(int group, const RE2& regex);

 private:
  enum : uint8_t { kUnknown, kNone, kSome };
  const std::vector<RegexGroup>* groups_ = nullptr;
  const RequestFacts* request_ = nullptr;
  std::vector<uint8_t> state_;
};

// The request's query parameters and cookies as name/value views, split on first use and
// kept for the rest of the evaluation, so that many rules on them cost one parse.
class RequestPairs {
 public:
  using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;
  void reset(const RequestFacts& request);
  const Pairs& query();
  const Pairs& cookies();

 private:
  const RequestFacts* request_ = nullptr;
  Pairs query_, cookies_;
  bool haveQuery_ = false, haveCookies_ = false;
};

// What one evaluation learns once and every rule reuses.
struct MatchScratch {
  RegexHits regexes;
  RequestPairs pairs;
};

// Every condition given must hold. Compiled when the config loads: names lower-cased,
// regexes built, networks in tries; matches() allocates nothing.
struct RuleMatch {
  bool any = false;
  std::vector<NamePattern> hosts;  // any of them
  std::vector<std::string> paths;  // exact, any of them
  std::vector<std::string> pathPrefixes;
  std::shared_ptr<const RE2> pathRegex;  // searched in the path; anchor with ^ and $
  int pathRegexGroup = -1;
  std::vector<std::string> methods;
  std::vector<ValueMatch> headers;  // all of them
  std::vector<ValueMatch> queries;
  std::vector<ValueMatch> cookies;
  std::shared_ptr<const CidrSet> source;     // the client is inside
  std::shared_ptr<const CidrSet> notSource;  // the client is outside
  std::vector<NamePattern> snis;

  bool matches(const RequestFacts& request, MatchScratch& scratch) const;
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
  std::string responseType;  // respond: the body's Content-Type
  std::string responseBody;
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
  MatchScratch scratch;
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
  std::vector<RegexGroup> regexGroups;
  // Builds regexGroups from the rules' regexes (once, at load); false with `error` set when
  // RE2 cannot compile a group (its memory budget).
  bool groupRegexes(std::string& error);
  void evaluate(const RequestFacts& request, RuleDecision& decision) const;
};

}  // namespace sluice
