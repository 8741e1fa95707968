#include "config/rules_reader.h"

#include <cctype>

#include "http/ascii.h"
#include "http/hop_by_hop.h"
#include "tls/host_name.h"

namespace sluice {
namespace {

constexpr int kDenyStatuses[] = {400, 403, 404, 405, 429, 500, 501, 503};

// A scalar or a list of scalars, as a list.
std::vector<std::string> stringsOf(Reader& r, const YAML::Node& node, const std::string& field) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (item.IsScalar()) {
        out.push_back(item.Scalar());
      } else {
        r.error(item, field, "expected a single value");
      }
    }
  } else {
    r.error(node, field, "expected a value or a list of values");
  }
  return out;
}

bool isFieldValue(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

std::shared_ptr<const RE2> compileRegex(Reader& r, const YAML::Node& node, const std::string& field,
                                        const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_shared<const RE2>(pattern, options);
  if (!regex->ok()) {
    r.error(node, field, "'" + pattern + "' is not a valid regular expression: " + regex->error());
    return nullptr;
  }
  return regex;
}

void readNames(Reader& r, const YAML::Node& node, const std::string& field,
               std::vector<NamePattern>& out) {
  for (const std::string& text : stringsOf(r, node, field)) {
    std::string normalised;
    if (!SniRouter::parsePattern(text, normalised)) {
      r.error(node, field,
              "'" + text + "' is neither a host name nor a wildcard like *.example.com");
      continue;
    }
    NamePattern pattern;
    pattern.wildcard = normalised.starts_with("*.");
    pattern.name = pattern.wildcard ? normalised.substr(1) : normalised;
    out.push_back(std::move(pattern));
  }
}

// header / query / cookie: a mapping, or a list of them, each {name, value | regex | present}.
void readValueMatches(Reader& r, const YAML::Node& node, const std::string& field,
                      bool regexAllowed, std::vector<ValueMatch>& out) {
  std::vector<YAML::Node> items;
  if (node.IsSequence()) {
    for (const auto& item : node)
      items.push_back(item);
  } else {
    items.push_back(node);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const YAML::Node& item = items[i];
    const std::string ifield = node.IsSequence() ? Reader::index(field, i) : field;
    const bool ok = regexAllowed ? r.expectMap(item, ifield, {"name", "value", "regex", "present"})
                                 : r.expectMap(item, ifield, {"name", "value", "present"});
    if (!ok) continue;
    ValueMatch match;
    if (auto name = r.readString(item, ifield, "name", true)) match.name = *name;
    const int given =
        item["value"].IsDefined() + item["regex"].IsDefined() + item["present"].IsDefined();
    if (given != 1) {
      r.error(item, ifield,
              regexAllowed ? "needs exactly one of value, regex or present"
                           : "needs exactly one of value or present");
      continue;
    }
    if (auto value = r.readString(item, ifield, "value", false)) {
      match.kind = ValueMatch::Kind::kValue;
      match.value = *value;
    } else if (auto pattern = r.readString(item, ifield, "regex", false)) {
      match.kind = ValueMatch::Kind::kRegex;
      match.regex = compileRegex(r, item["regex"], ifield + ".regex", *pattern);
      if (!match.regex) continue;
    } else {
      bool present = true;
      r.readBool(item, ifield, "present", present);
      if (!present) {
        r.error(item["present"], ifield + ".present", "only present: true is supported");
        continue;
      }
    }
    out.push_back(std::move(match));
  }
}

std::shared_ptr<const CidrSet> readNetworks(Reader& r, const YAML::Node& node,
                                            const std::string& field) {
  auto set = std::make_shared<CidrSet>();
  for (const std::string& text : stringsOf(r, node, field)) {
    std::string why;
    if (!set->add(text, &why)) r.error(node, field, why);
  }
  return set;
}

void readMatch(Reader& r, const YAML::Node& node, const std::string& field, RuleMatch& match) {
  if (!r.expectMap(node, field,
                   {"any", "host", "path", "path_prefix", "path_regex", "method", "header", "query",
                    "cookie", "source", "not_source", "sni"})) {
    return;
  }
  if (node.size() == 0) r.error(node, field, "is empty: use {any: true} to match every request");
  r.readBool(node, field, "any", match.any);
  if (node["any"].IsDefined() && (!match.any || node.size() > 1)) {
    r.error(node["any"], field + ".any", "must be true, and alone in its match");
  }
  auto key = [&](const char* name) { return Reader::join(field, name); };
  if (node["host"].IsDefined()) readNames(r, node["host"], key("host"), match.hosts);
  if (node["sni"].IsDefined()) readNames(r, node["sni"], key("sni"), match.snis);
  if (node["path"].IsDefined()) match.paths = stringsOf(r, node["path"], key("path"));
  if (node["path_prefix"].IsDefined()) {
    match.pathPrefixes = stringsOf(r, node["path_prefix"], key("path_prefix"));
  }
  for (const auto* list : {&match.paths, &match.pathPrefixes}) {
    for (const std::string& path : *list) {
      if (path.empty() || path.front() != '/') {
        r.error(node[list == &match.paths ? "path" : "path_prefix"],
                key(list == &match.paths ? "path" : "path_prefix"),
                "'" + path + "' must start with /");
      }
    }
  }
  if (auto pattern = r.readString(node, field, "path_regex", false)) {
    match.pathRegex = compileRegex(r, node["path_regex"], key("path_regex"), *pattern);
  }
  if (node["method"].IsDefined()) {
    match.methods = stringsOf(r, node["method"], key("method"));
    for (const std::string& method : match.methods) {
      if (!isToken(method))
        r.error(node["method"], key("method"), "'" + method + "' is not a method");
    }
  }
  if (node["header"].IsDefined())
    readValueMatches(r, node["header"], key("header"), true, match.headers);
  if (node["query"].IsDefined())
    readValueMatches(r, node["query"], key("query"), false, match.queries);
  if (node["cookie"].IsDefined())
    readValueMatches(r, node["cookie"], key("cookie"), false, match.cookies);
  if (node["source"].IsDefined()) match.source = readNetworks(r, node["source"], key("source"));
  if (node["not_source"].IsDefined()) {
    match.notSource = readNetworks(r, node["not_source"], key("not_source"));
  }
}

// Framing and hop-by-hop fields are Sluice's to write: a rule that set or removed one would
// change how the server or client reads the message's length (the canonical request's
// framing is written by Sluice alone).
bool isSluicesField(std::string_view name) {
  return isHopByHop(name) || equalsIgnoreCase(name, "content-length") ||
         equalsIgnoreCase(name, "http2-settings");
}
const char* const kSluicesField =
    "is written by Sluice (framing and hop-by-hop fields cannot be changed by rules)";

void readHeaderMap(Reader& r, const YAML::Node& node, const std::string& field,
                   std::vector<std::pair<std::string, std::string>>& out) {
  if (!node.IsMap()) {
    r.error(node, field, "expected a mapping of header names to values");
    return;
  }
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    const std::string value = entry.second.IsScalar() ? entry.second.Scalar() : "";
    if (!isToken(name)) {
      r.error(entry.first, Reader::join(field, name), "'" + name + "' is not a header name");
    } else if (isSluicesField(name)) {
      r.error(entry.first, Reader::join(field, name), "'" + name + "' " + kSluicesField);
    } else if (!entry.second.IsScalar() || !isFieldValue(value)) {
      r.error(entry.second, Reader::join(field, name), "expected one line of text");
    } else {
      out.emplace_back(name, value);
    }
  }
}

void readHeaderEdits(Reader& r, const YAML::Node& node, const std::string& field,
                     const char* direction, HeaderEdits& edits) {
  const std::string set = std::string("set_") + direction + "_headers";
  const std::string add = std::string("add_") + direction + "_headers";
  const std::string remove = std::string("remove_") + direction + "_headers";
  if (node[set].IsDefined()) readHeaderMap(r, node[set], Reader::join(field, set), edits.set);
  if (node[add].IsDefined()) readHeaderMap(r, node[add], Reader::join(field, add), edits.add);
  if (node[remove].IsDefined()) {
    for (std::string name : stringsOf(r, node[remove], Reader::join(field, remove))) {
      if (!isToken(name)) {
        r.error(node[remove], Reader::join(field, remove), "'" + name + "' is not a header name");
      } else if (isSluicesField(name) ||
                 (equalsIgnoreCase(name, "host") && std::string_view(direction) == "request")) {
        r.error(node[remove], Reader::join(field, remove),
                "'" + name + "' " +
                    (equalsIgnoreCase(name, "host") ? "cannot be removed: every request has one"
                                                    : kSluicesField));
      }
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      edits.remove.push_back(std::move(name));
    }
  }
}

void readAction(Reader& r, const YAML::Node& node, const std::string& field, Rule& rule) {
  if (!r.expectMap(node, field,
                   {"allow", "deny", "redirect", "route", "respond", "set_request_headers",
                    "add_request_headers", "remove_request_headers", "set_response_headers",
                    "add_response_headers", "remove_response_headers"})) {
    return;
  }
  int terminals = 0;
  for (const char* key : {"allow", "deny", "redirect", "route", "respond"})
    terminals += node[key].IsDefined();
  if (terminals > 1) {
    r.error(node, field, "has more than one of allow, deny, redirect, route and respond");
  }
  if (node["allow"].IsDefined()) {
    bool allow = true;
    r.readBool(node, field, "allow", allow);
    if (!allow) r.error(node["allow"], field + ".allow", "must be true");
    rule.action = Rule::Action::kAllow;
  }
  if (const YAML::Node deny = node["deny"]; deny.IsDefined()) {
    rule.action = Rule::Action::kDeny;
    rule.status = 403;
    if (deny.IsScalar() && deny.Scalar() != "true") {
      r.readUint<int>(node, field, "deny", 400, 599, rule.status);
      bool known = false;
      for (int status : kDenyStatuses)
        known = known || status == rule.status;
      if (!known) {
        r.error(deny, field + ".deny", "must be one of 400, 403, 404, 405, 429, 500, 501, 503");
      }
    }
  }
  if (const YAML::Node redirect = node["redirect"]; redirect.IsDefined()) {
    rule.action = Rule::Action::kRedirect;
    const std::string rfield = Reader::join(field, "redirect");
    if (r.expectMap(redirect, rfield, {"to", "status"})) {
      if (auto to = r.readString(redirect, rfield, "to", true)) {
        std::string error;
        if (!rule.redirect.compile(*to, error)) r.error(redirect["to"], rfield + ".to", error);
      }
      rule.status = 302;
      r.readUint<int>(redirect, rfield, "status", 301, 308, rule.status);
      const int s = rule.status;
      if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
        r.error(redirect["status"], rfield + ".status", "must be 301, 302, 303, 307 or 308");
      }
    }
  }
  if (auto group = r.readString(node, field, "route", false)) {
    rule.action = Rule::Action::kRoute;
    rule.group = *group;
  }
  if (const YAML::Node respond = node["respond"]; respond.IsDefined()) {
    rule.action = Rule::Action::kRespond;
    const std::string rfield = Reader::join(field, "respond");
    if (r.expectMap(respond, rfield, {"status", "body", "content_type"})) {
      rule.status = 200;
      r.readUint<int>(respond, rfield, "status", 200, 599, rule.status);
      rule.responseBody = r.readString(respond, rfield, "body", false).value_or("");
      rule.responseType = r.readString(respond, rfield, "content_type", false)
                              .value_or("text/plain; charset=utf-8");
      if (!isFieldValue(rule.responseType))
        r.error(respond["content_type"], rfield + ".content_type", "expected one line of text");
    }
  }
  readHeaderEdits(r, node, field, "request", rule.requestEdits);
  readHeaderEdits(r, node, field, "response", rule.responseEdits);
  if (rule.action == Rule::Action::kNone && rule.requestEdits.empty() &&
      rule.responseEdits.empty() && node.IsMap()) {
    r.error(node, field,
            "does nothing: give allow, deny, redirect, route, respond or header changes");
  }
}

}  // namespace

std::shared_ptr<RuleSet> readRules(Reader& r, const YAML::Node& list, const std::string& field) {
  auto set = std::make_shared<RuleSet>();
  if (!list.IsSequence()) {
    r.error(list, field, "expected a list of {match, action} rules");
    return set;
  }
  size_t decidedBy = static_cast<size_t>(-1);  // an earlier rule that decides every request
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string rfield = Reader::index(field, i);
    Rule& rule = set->rules.emplace_back();
    rule.name = rfield;
    if (!r.expectMap(list[i], rfield, {"name", "match", "action"})) continue;
    if (auto name = r.readString(list[i], rfield, "name", false)) rule.name = *name;
    if (!list[i]["match"].IsDefined()) r.error(list[i], rfield + ".match", "is required");
    if (!list[i]["action"].IsDefined()) r.error(list[i], rfield + ".action", "is required");
    if (list[i]["match"].IsDefined()) readMatch(r, list[i]["match"], rfield + ".match", rule.match);
    if (list[i]["action"].IsDefined()) readAction(r, list[i]["action"], rfield + ".action", rule);
    if (decidedBy != static_cast<size_t>(-1)) {
      r.error(list[i], rfield,
              "can never run: " + Reader::index(field, decidedBy) +
                  " matches every request (any: true) and decides it");
    } else if (rule.match.any && rule.action != Rule::Action::kNone) {
      decidedBy = i;
    }
  }
  if (r.errors().empty()) {
    std::string error;
    if (!set->groupRegexes(error)) r.error(list, field, error);
  }
  return set;
}

}  // namespace sluice
