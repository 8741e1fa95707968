// The ConfigEditor's rules: each VIP's `rules` as an ordered resource of its own.
#include <optional>
#include <string>

#include "server/admin/api_views.h"
#include "server/admin/config_editor.h"

namespace sluice {
namespace {

using json = nlohmann::json;

// The VIP named `name` in `document`, or nullptr.
json* vipIn(json& document, const std::string& name) {
  if (!document.contains("vips") || !document["vips"].is_array()) return nullptr;
  for (json& vip : document["vips"]) {
    if (vip.is_object() && vip.value("name", "") == name) return &vip;
  }
  return nullptr;
}

// Where `ref` is in `rules`: a position ("0" is the first rule) or a rule's name.
std::optional<size_t> ruleAt(const json& rules, const std::string& ref) {
  if (!ref.empty() && ref.find_first_not_of("0123456789") == std::string::npos) {
    const size_t position = std::stoul(ref);
    if (position < rules.size()) return position;
    return std::nullopt;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].is_object() && rules[i].value("name", "") == ref) return i;
  }
  return std::nullopt;
}

json rulesIn(const json& vip) {
  return vip.contains("rules") && vip["rules"].is_array() ? vip["rules"] : json::array();
}

}  // namespace

ConfigEditor::Answer ConfigEditor::rules(const std::string& vipName) {
  std::lock_guard lock(mutex_);
  refreshLive();
  json* vip = vipIn(draft_, vipName);
  if (!vip) return problem(404, "Not found", "no VIP is named '" + vipName + "'");
  Answer answer;
  answer.body = {{"vip", vipName}, {"rules", rulesIn(*vip)}};
  answer.etag = etagOf(answer.body["rules"]);
  return answer;
}

ConfigEditor::Answer ConfigEditor::rule(const std::string& vipName, const std::string& ref) {
  std::lock_guard lock(mutex_);
  refreshLive();
  json* vip = vipIn(draft_, vipName);
  if (!vip) return problem(404, "Not found", "no VIP is named '" + vipName + "'");
  const json list = rulesIn(*vip);
  const auto at = ruleAt(list, ref);
  if (!at) return problem(404, "Not found", "VIP '" + vipName + "' has no rule '" + ref + "'");
  Answer answer;
  answer.body = list[*at];
  answer.etag = etagOf(answer.body);
  return answer;
}

ConfigEditor::Answer ConfigEditor::editRules(const std::string& vipName, const RuleEdit& edit) {
  std::lock_guard lock(mutex_);
  refreshLive();
  json next = draft_;
  json* vip = vipIn(next, vipName);
  if (!vip) return problem(404, "Not found", "no VIP is named '" + vipName + "'");
  json list = rulesIn(*vip);
  json shown;
  int status = 200;
  if (Answer refused = edit(list, shown, status); refused.status >= 400) return refused;
  if (list.empty()) {
    vip->erase("rules");
  } else {
    (*vip)["rules"] = list;
  }
  Answer answer = commitDraft(std::move(next), status, shown);
  // A whole list is shown with the list's ETag, as rules() gives it.
  if (answer.status < 400 && shown.is_object() && shown.contains("rules")) {
    answer.etag = etagOf(shown["rules"]);
  }
  return answer;
}

ConfigEditor::Answer ConfigEditor::replaceRules(const std::string& vipName, const json& rules,
                                                const std::string& ifMatch) {
  if (!rules.is_array()) return problem(400, "Bad request", "expected {\"rules\": [...]}");
  return editRules(vipName, [&](json& list, json& shown, int&) {
    if (!ifMatch.empty() && ifMatch != etagOf(list)) {
      return problem(412, "Precondition failed",
                     "the rules of '" + vipName + "' changed since they were read");
    }
    list = rules;
    shown = {{"vip", vipName}, {"rules", list}};
    return Answer{};
  });
}

ConfigEditor::Answer ConfigEditor::addRule(const std::string& vipName, const json& rule,
                                           std::optional<size_t> position) {
  if (!rule.is_object()) return problem(400, "Bad request", "expected a rule: {match, action}");
  std::string at;
  Answer answer = editRules(vipName, [&](json& list, json& shown, int& status) {
    if (rule.contains("name") && rule["name"].is_string() &&
        ruleAt(list, rule["name"].get<std::string>())) {
      return problem(409, "Conflict",
                     "VIP '" + vipName + "' already has a rule named '" +
                         rule["name"].get<std::string>() + "'");
    }
    const size_t where = position ? *position : list.size();
    if (where > list.size()) {
      return problem(400, "Bad request",
                     "position " + std::to_string(where) + " is past the end (" +
                         std::to_string(list.size()) + " rules)");
    }
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(where), rule);
    shown = rule;
    status = 201;
    at = std::to_string(where);
    return Answer{};
  });
  if (answer.status == 201) answer.location = "/api/v1/vips/" + vipName + "/rules/" + at;
  return answer;
}

ConfigEditor::Answer ConfigEditor::changeRule(const std::string& vipName, const std::string& ref,
                                              const std::string& ifMatch,
                                              const RuleChange& change) {
  return editRules(vipName, [&](json& list, json& shown, int& status) {
    const auto at = ruleAt(list, ref);
    if (!at) return problem(404, "Not found", "VIP '" + vipName + "' has no rule '" + ref + "'");
    if (!ifMatch.empty() && ifMatch != etagOf(list[*at])) {
      return problem(412, "Precondition failed",
                     "rule '" + ref + "' of '" + vipName + "' changed since it was read");
    }
    return change(list, *at, shown, status);
  });
}

ConfigEditor::Answer ConfigEditor::replaceRule(const std::string& vipName, const std::string& ref,
                                               const json& rule, const std::string& ifMatch) {
  if (!rule.is_object()) return problem(400, "Bad request", "expected a rule: {match, action}");
  return changeRule(vipName, ref, ifMatch, [&](json& list, size_t at, json& shown, int&) {
    list[at] = rule;
    shown = rule;
    return Answer{};
  });
}

ConfigEditor::Answer ConfigEditor::patchRule(const std::string& vipName, const std::string& ref,
                                             const json& mergePatch, const std::string& ifMatch) {
  if (!mergePatch.is_object()) return problem(400, "Bad request", "expected a JSON merge patch");
  return changeRule(vipName, ref, ifMatch, [&](json& list, size_t at, json& shown, int&) {
    list[at].merge_patch(mergePatch);
    shown = list[at];
    return Answer{};
  });
}

ConfigEditor::Answer ConfigEditor::removeRule(const std::string& vipName, const std::string& ref,
                                              const std::string& ifMatch) {
  return changeRule(vipName, ref, ifMatch, [&](json& list, size_t at, json&, int& status) {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(at));
    status = 204;
    return Answer{};
  });
}

ConfigEditor::Answer ConfigEditor::moveRule(const std::string& vipName, const std::string& ref,
                                            size_t to, const std::string& ifMatch) {
  return changeRule(vipName, ref, ifMatch, [&](json& list, size_t at, json& shown, int&) {
    if (to >= list.size()) {
      return problem(400, "Bad request",
                     "position " + std::to_string(to) + " is past the end (" +
                         std::to_string(list.size()) + " rules)");
    }
    json moved = list[at];
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(at));
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(to), moved);
    shown = {{"vip", vipName}, {"rules", list}};
    return Answer{};
  });
}

}  // namespace sluice
