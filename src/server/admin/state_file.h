#pragma once

#include <map>
#include <string>

#include "health/health_registry.h"

namespace sluice {

// The state file (admin.state_file): operators' live operations, kept across apply, SIGHUP and
// restart. JSON: {"servers": [{"server": "group/server", "operation": "drain"}, ...]}. Written
// whole to a temporary file, synced, then renamed over the old one: a crash leaves the old file
// or the new one, never half of either.
using LiveOperations = std::map<std::string, HealthRegistry::Operation>;

// A missing file is no operations (true); an unreadable or malformed one is false, `error` says
// why.
bool loadLiveOperations(const std::string& path, LiveOperations& out, std::string& error);
bool saveLiveOperations(const std::string& path, const LiveOperations& operations,
                        std::string& error);

}  // namespace sluice
