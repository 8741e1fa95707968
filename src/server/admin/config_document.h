#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sluice {

// A config file as a document the admin API edits: the YAML tree as JSON, in the schema's own
// names. Scalars become numbers and booleans where they read as such (the loader reads every
// scalar from its text, so the round trip changes no meaning). Comments do not survive: a file
// the API writes starts with a line saying so.
nlohmann::json yamlToDocument(std::string_view yaml, std::string& error);
std::string documentToYaml(const nlohmann::json& document);

// The sections whose entries are named resources, in the order a file lists them.
inline constexpr const char* kNamedSections[] = {"certificates", "server_groups", "vips"};

}  // namespace sluice
