#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_loader.h"
#include "core/clock.h"
#include "core/units.h"
#include "net/address.h"

namespace sluice {

template <typename Enum>
using Names = std::initializer_list<std::pair<const char*, Enum>>;

// Walks the YAML tree, converting values and collecting every error with its location. Each
// read* helper reports a missing or ill-typed value itself, so the callers read as a schema.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::vector<ConfigError>& errors() { return errors_; }
  std::vector<std::string>& warnings() { return warnings_; }
  const std::string& file() const { return file_; }

  void error(const YAML::Node& at, const std::string& field, std::string message) {
    ConfigError e{file_, 0, 0, field, std::move(message)};
    if (at.IsDefined() && at.Mark().line >= 0) {
      e.line = at.Mark().line + 1;
      e.column = at.Mark().column + 1;
    }
    errors_.push_back(std::move(e));
  }

  void errorAt(const YAML::Mark& mark, const std::string& field, std::string message) {
    errors_.push_back(
        ConfigError{file_, mark.line + 1, mark.column + 1, field, std::move(message)});
  }

  // A mapping whose keys must all be among `allowed`: a misspelt key is an error, never a
  // silently ignored line.
  bool expectMap(const YAML::Node& node, const std::string& field,
                 std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      error(node, field, "expected a mapping (key: value lines)");
      return false;
    }
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string known;
        for (std::string_view k : allowed)
          known += (known.empty() ? "" : ", ") + std::string(k);
        error(entry.first, join(field, key),
              "unknown key '" + key + "' (known keys: " + known + ")");
      }
    }
    return true;
  }

  std::optional<std::string> readString(const YAML::Node& parent, const std::string& field,
                                        const char* key, bool required) {
    const YAML::Node node = parent[key];
    if (!node.IsDefined() || node.IsNull()) {
      if (required) error(parent, join(field, key), "is required");
      return std::nullopt;
    }
    if (!node.IsScalar()) {
      error(node, join(field, key), "expected a single value");
      return std::nullopt;
    }
    return node.Scalar();
  }

  template <typename Enum>
  void readEnum(const YAML::Node& parent, const std::string& field, const char* key,
                Names<Enum> names, Enum& out) {
    auto text = readString(parent, field, key, false);
    if (!text) return;
    for (const auto& [name, value] : names) {
      if (*text == name) {
        out = value;
        return;
      }
    }
    std::string known;
    for (const auto& n : names)
      known += (known.empty() ? "" : ", ") + std::string(n.first);
    error(parent[key], join(field, key), "'" + *text + "' is not one of: " + known);
  }

  void readDuration(const YAML::Node& parent, const std::string& field, const char* key,
                    Millis& out) {
    auto text = readString(parent, field, key, false);
    if (!text) return;
    auto value = parseDuration(*text);
    if (!value) {
      error(parent[key], join(field, key),
            "'" + *text + "' is not a duration (write a number and a unit: 250ms, 5s, 2m, 1h)");
      return;
    }
    out = *value;
  }

  template <typename Int>
  void readUint(const YAML::Node& parent, const std::string& field, const char* key, Int min,
                Int max, Int& out) {
    auto text = readString(parent, field, key, false);
    if (!text) return;
    auto value = parseSize(*text);
    if (!value || text->find_first_not_of("0123456789") != std::string::npos ||
        *value < static_cast<uint64_t>(min) || *value > static_cast<uint64_t>(max)) {
      error(parent[key], join(field, key),
            "'" + *text + "' must be a whole number from " + std::to_string(min) + " to " +
                std::to_string(max));
      return;
    }
    out = static_cast<Int>(*value);
  }

  void readSize(const YAML::Node& parent, const std::string& field, const char* key, uint64_t min,
                uint64_t max, size_t& out) {
    auto text = readString(parent, field, key, false);
    if (!text) return;
    auto value = parseSize(*text);
    if (!value || *value < min || *value > max) {
      error(parent[key], join(field, key),
            "'" + *text + "' must be a size from " + std::to_string(min) + " to " +
                std::to_string(max) + " bytes (units: B, KiB, MiB, KB, MB)");
      return;
    }
    out = static_cast<size_t>(*value);
  }

  void readBool(const YAML::Node& parent, const std::string& field, const char* key, bool& out) {
    auto text = readString(parent, field, key, false);
    if (!text) return;
    if (*text == "true") {
      out = true;
    } else if (*text == "false") {
      out = false;
    } else {
      error(parent[key], join(field, key), "'" + *text + "' must be true or false");
    }
  }

  void readAddress(const YAML::Node& parent, const std::string& field, const char* key,
                   SocketAddress& out) {
    auto text = readString(parent, field, key, true);
    if (!text) return;
    std::string why;
    auto address = SocketAddress::parse(*text, &why);
    if (!address) {
      error(parent[key], join(field, key), "'" + *text + "': " + why);
      return;
    }
    out = *address;
  }

  static std::string join(const std::string& field, std::string_view key) {
    return field.empty() ? std::string(key) : field + "." + std::string(key);
  }
  static std::string index(const std::string& field, size_t i) {
    return field + "[" + std::to_string(i) + "]";
  }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
  std::vector<std::string> warnings_;
};

}  // namespace sluice
