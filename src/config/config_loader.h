#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace sluice {

// One thing wrong with a config file, located precisely enough to fix without searching:
// `sluice.yaml:12:11: vips[0].listen: '127.0.0.1' has no port ...`.
struct ConfigError {
  std::string file;
  int line = 0;       // 1-based; 0 when the error concerns the file as a whole
  int column = 0;     // 1-based
  std::string field;  // path of the offending field, e.g. vips[0].listen
  std::string message;

  std::string toString() const;
};

// The outcome of loading: a snapshot when there are no errors, otherwise every error found (not
// just the first, so that `sluice check` lists them all in one go).
struct ConfigLoadResult {
  std::shared_ptr<const ConfigSnapshot> snapshot;
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;

  bool ok() const { return snapshot != nullptr; }
};

// Reads, parses and validates a YAML config file. Never throws.
ConfigLoadResult loadConfigFile(const std::string& path);

// The same for config text already in memory; `name` stands for the file in messages.
ConfigLoadResult loadConfigText(std::string_view text, const std::string& name);

}  // namespace sluice
