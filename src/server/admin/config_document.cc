#include "server/admin/config_document.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>

namespace sluice {
namespace {

using json = nlohmann::json;

json fromNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& entry : node)
        out[entry.first.Scalar()] = fromNode(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& entry : node)
        out.push_back(fromNode(entry));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() != "!" && !text.empty()) {  // "!": the scalar was quoted: a string
        if (text == "true") return true;
        if (text == "false") return false;
        char* end = nullptr;
        const long long number = std::strtoll(text.c_str(), &end, 10);
        if (*end == '\0' && text.size() < 18 && (std::isdigit(text[0]) || text[0] == '-')) {
          return number;
        }
      }
      return text;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

void emit(YAML::Emitter& out, const json& value) {
  if (value.is_object()) {
    // A named entry reads best with its name first, as people write them.
    out << YAML::BeginMap;
    if (value.contains("name")) {
      out << YAML::Key << "name" << YAML::Value;
      emit(out, value["name"]);
    }
    for (const auto& [key, entry] : value.items()) {
      if (key == "name") continue;
      out << YAML::Key << key << YAML::Value;
      emit(out, entry);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& entry : value)
      emit(out, entry);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << value.get<std::string>();
  } else if (value.is_boolean()) {
    out << (value.get<bool>() ? "true" : "false");
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();
  }
}

}  // namespace

json yamlToDocument(std::string_view yaml, std::string& error) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    json document = fromNode(root);
    if (document.is_null()) document = json::object();
    if (!document.is_object()) {
      error = "the config is not a mapping";
      return nullptr;
    }
    return document;
  } catch (const YAML::Exception& e) {
    error = e.what();
    return nullptr;
  }
}

std::string documentToYaml(const json& document) {
  YAML::Emitter out;
  // Sections in the order a person writes them, then anything else.
  YAML::Emitter& o = out;
  o << YAML::BeginMap;
  auto section = [&](const std::string& key) {
    if (!document.contains(key)) return;
    o << YAML::Key << key << YAML::Value;
    emit(o, document[key]);
  };
  for (const char* key : {"global", "admin", "certificates", "server_groups", "vips"})
    section(key);
  for (const auto& [key, value] : document.items()) {
    if (key != "global" && key != "admin" && key != "certificates" && key != "server_groups" &&
        key != "vips") {
      section(key);
    }
  }
  o << YAML::EndMap;
  return "# Written by the Sluice admin API: comments in this file are not kept.\n" +
         std::string(out.c_str()) + "\n";
}

}  // namespace sluice
