#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "health/server_states.h"

namespace sluice {

// The admin API's JSON views of what runs, in the YAML schema's names, with what is live beside
// it (a server's state). Secrets never appear: a certificate shows its subject, names, expiry,
// key type and fingerprint, never its key.
nlohmann::json groupView(const ConfigSnapshot& snapshot, const ServerStates& states, size_t group);
// A certificate as loaded (null: it could not be), and the VIPs that use it.
nlohmann::json certificateView(const std::string& name, const Certificate* loaded,
                               const nlohmann::json& usedBy);
// Every server's health: state, whether it takes connections, and the last check's outcome.
nlohmann::json healthView(const ConfigSnapshot& snapshot, const ServerStates& states);

// A representation's entity tag: a strong ETag over its JSON text, so a client can tell a
// changed resource from the one it read.
std::string etagOf(const nlohmann::json& representation);

}  // namespace sluice
