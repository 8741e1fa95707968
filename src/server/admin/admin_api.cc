#include "server/admin/admin_api.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/admin/api_views.h"
#include "server/admin/config_editor.h"
#include "server/admin/problem.h"
#include "server/runtime.h"

namespace sluice {
namespace {

using json = nlohmann::json;

void sendJson(const httplib::Request& request, httplib::Response& response, const json& body) {
  const std::string etag = etagOf(body);
  response.set_header("ETag", etag);
  response.set_header("Cache-Control", "no-store");
  if (request.get_header_value("If-None-Match") == etag) {
    response.status = 304;
    return;
  }
  response.set_content(body.dump(2) + "\n", "application/json");
}

}  // namespace

void addAdminApi(httplib::Server& server, Runtime& runtime, ConfigEditor& editor) {
  server.Get("/api/v1/status",
             [&runtime, &editor](const httplib::Request& request, httplib::Response& response) {
               const auto snapshot = runtime.snapshot();
               sendJson(request, response,
                        {{"version", SLUICE_VERSION},
                         {"revision", runtime.revision()},
                         {"config", snapshot->sourcePath},
                         {"workers", runtime.workers().size()},
                         {"vips", snapshot->vips.size()},
                         {"server_groups", snapshot->serverGroups.size()},
                         {"draining", runtime.draining()},
                         {"pending_changes", editor.pendingChanges()}});
             });

  server.Get(
      "/api/v1/health", [&runtime](const httplib::Request& request, httplib::Response& response) {
        sendJson(request, response, healthView(*runtime.snapshot(), *runtime.serverStates()));
      });

  server.Post(R"(/api/v1/server_groups/([^/]+)/servers/([^/]+)/(drain|enable|disable))",
              [&runtime](const httplib::Request& request, httplib::Response& response) {
                const std::string group = request.matches[1], name = request.matches[2];
                const std::string verb = request.matches[3];
                const auto operation = verb == "drain"    ? HealthRegistry::Operation::kDrain
                                       : verb == "enable" ? HealthRegistry::Operation::kEnable
                                                          : HealthRegistry::Operation::kDisable;
                std::string error;
                switch (runtime.operateServer(group, name, operation, error)) {
                  case Runtime::OperationResult::kNoSuchServer:
                    return sendProblem(response, 404, "No such server", error);
                  case Runtime::OperationResult::kNotSaved:
                    return sendProblem(response, 500, "The operation is in force but not saved",
                                       error + ": it will not survive a restart");
                  case Runtime::OperationResult::kDone:
                    break;
                }
                const auto snapshot = runtime.snapshot();
                const auto states = runtime.serverStates();
                for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
                  if (snapshot->serverGroups[g].name == group) {
                    return sendJson(request, response, groupView(*snapshot, *states, g));
                  }
                }
              });
}

}  // namespace sluice
