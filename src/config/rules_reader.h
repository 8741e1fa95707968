#pragma once

#include <memory>
#include <string>

#include "config/yaml_reader.h"
#include "rules/rule.h"

namespace sluice {

// Reads a VIP's `rules:` list (docs: README, "Layer-7 rules") into a compiled RuleSet:
// regexes built with RE2, networks in tries, redirect templates split into pieces, `respond`
// responses rendered. Every problem is reported with its location: a bad regex, network,
// template field, status or header name, and a rule that can never run because an earlier
// `any: true` rule always decides. Route targets are resolved later, against the groups.
std::shared_ptr<RuleSet> readRules(Reader& r, const YAML::Node& list, const std::string& field);

}  // namespace sluice
