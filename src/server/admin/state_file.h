#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "health/health_registry.h"

namespace sluice {

// The state file (admin.state_file): operators' live operations, kept across apply, SIGHUP and
// restart. JSON:
//   {"servers": [{"server": "group/server", "operation": "drain"}, ...],
//    "weights": [{"server": "group/server", "weight": 5}, ...]}
// Written whole to a temporary file, synced, then renamed over the old one: a crash leaves the
// old file or the new one, never half of either.
using LiveOperations = std::map<std::string, HealthRegistry::Operation>;
using LiveWeights = std::map<std::string, uint32_t>;  // in force instead of the config's

struct LiveState {
  LiveOperations operations;
  LiveWeights weights;
};

// A missing file is no operations (true); an unreadable or malformed one is false, `error` says
// why.
bool loadLiveState(const std::string& path, LiveState& out, std::string& error);
bool saveLiveState(const std::string& path, const LiveState& state, std::string& error);

}  // namespace sluice
