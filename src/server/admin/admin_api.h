#pragma once

#include <functional>
#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace sluice {

class ConfigEditor;
class Runtime;

// The admin API's routes under /api/v1, on the admin listener's HTTP server. JSON in the YAML
// schema's names; errors as application/problem+json.
//   GET  /api/v1/status                       the revision in force, workers, draining, pending
//   GET  /api/v1/health                       every server's state
//   POST /api/v1/server_groups/G/servers/S/{drain,enable,disable}
//                                             live operations: at once, audited, kept across
//                                             reloads and restarts (admin.state_file)
// The staged config (VIPs, groups, changes, apply) is config_api.h's. Access (tokens, roles,
// Host) is checked before any route runs (AdminServer).
// `cluster`: cluster mode's status for /status (null on a single node).
void addAdminApi(httplib::Server& server, Runtime& runtime, ConfigEditor& editor,
                 std::function<nlohmann::json()> cluster = nullptr);

}  // namespace sluice
