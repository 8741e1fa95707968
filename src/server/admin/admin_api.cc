#include "server/admin/admin_api.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "server/admin/api_views.h"
#include "server/admin/config_editor.h"
#include "server/admin/openapi_document.h"
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

// A live operation's failure as its problem: true when there was one.
bool refused(Runtime::OperationResult result, const std::string& error,
             httplib::Response& response) {
  switch (result) {
    case Runtime::OperationResult::kNoSuchServer:
      sendProblem(response, 404, "No such server", error);
      return true;
    case Runtime::OperationResult::kNotSaved:
      sendProblem(response, 500, "The operation is in force but not saved",
                  error + ": it will not survive a restart");
      return true;
    case Runtime::OperationResult::kShuttingDown:
      sendProblem(response, 503, "Shutting down", error);
      return true;
    case Runtime::OperationResult::kDone:
      break;
  }
  return false;
}

// The running group, as a live operation left it.
void sendGroup(const Runtime& runtime, const std::string& group, const httplib::Request& request,
               httplib::Response& response) {
  const auto snapshot = runtime.snapshot();
  const auto states = runtime.serverStates();
  for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
    if (snapshot->serverGroups[g].name == group) {
      return sendJson(request, response, groupView(*snapshot, *states, g));
    }
  }
}

}  // namespace

void addAdminApi(httplib::Server& server, Runtime& runtime, ConfigEditor& editor,
                 std::function<nlohmann::json()> cluster) {
  server.Get("/api/v1/status", [&runtime, &editor, cluster](const httplib::Request& request,
                                                            httplib::Response& response) {
    const auto snapshot = runtime.snapshot();
    nlohmann::json status = {{"version", SLUICE_VERSION},
                             {"revision", runtime.revision()},
                             {"config", snapshot->sourcePath},
                             {"workers", runtime.workers().size()},
                             {"vips", snapshot->vips.size()},
                             {"server_groups", snapshot->serverGroups.size()},
                             {"draining", runtime.draining()},
                             {"pending_changes", editor.pendingChanges()},
                             {"config_file_changed", editor.storeChanged()}};
    if (cluster) status["cluster"] = cluster();
    sendJson(request, response, status);
  });

  server.Get("/api/v1/openapi.json", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(kOpenApiDocument, "application/json");
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
                const auto result = runtime.operateServer(group, name, operation, error);
                if (refused(result, error, response)) return;
                sendGroup(runtime, group, request, response);
              });
  server.Post(
      R"(/api/v1/server_groups/([^/]+)/servers/([^/]+)/weight)",
      [&runtime](const httplib::Request& request, httplib::Response& response) {
        const json body = json::parse(request.body, nullptr, false);
        const json weight = body.is_object() && body.contains("weight") ? body["weight"] : json(-1);
        std::optional<uint32_t> value;
        if (weight.is_number_unsigned() && weight.get<uint64_t>() >= 1 &&
            weight.get<uint64_t>() <= kMaxWeight) {
          value = weight.get<uint32_t>();
        } else if (!weight.is_null()) {
          return sendProblem(response, 400, "Bad request",
                             "expected {\"weight\": 1 to " + std::to_string(kMaxWeight) +
                                 "}, or {\"weight\": null} for the config's (to stop "
                                 "new traffic, drain the server)");
        }
        std::string error;
        const auto result = runtime.setWeight(request.matches[1], request.matches[2], value, error);
        if (refused(result, error, response)) return;
        sendGroup(runtime, request.matches[1], request, response);
      });
  server.Post(R"(/api/v1/server_groups/([^/]+)/servers/([^/]+)/close)",
              [&runtime](const httplib::Request& request, httplib::Response& response) {
                std::string error;
                size_t closed = 0;
                const auto result =
                    runtime.closeConnections(request.matches[1], request.matches[2], closed, error);
                if (refused(result, error, response)) return;
                sendJson(request, response, {{"closed", closed}});
              });
}

}  // namespace sluice
