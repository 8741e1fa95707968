#include "server/admin/config_api.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "server/admin/api_access.h"
#include "server/admin/config_document.h"
#include "server/admin/config_editor.h"
#include "server/admin/problem.h"
#include "server/runtime.h"

namespace sluice {
namespace {

using json = nlohmann::json;

void send(httplib::Response& response, const ConfigEditor::Answer& answer) {
  response.status = answer.status;
  response.set_header("Cache-Control", "no-store");
  if (!answer.etag.empty()) response.set_header("ETag", answer.etag);
  if (!answer.location.empty()) response.set_header("Location", answer.location);
  if (answer.status == 204 || answer.body.is_null()) return;
  response.set_content(answer.body.dump(2) + "\n",
                       answer.status >= 400 ? "application/problem+json" : "application/json");
}

// The request's JSON body, or an answer saying it is not one.
bool body(const httplib::Request& request, httplib::Response& response, json& out) {
  out = json::parse(request.body, nullptr, false);
  if (out.is_discarded()) {
    sendProblem(response, 400, "Bad request", "the body is not JSON");
    return false;
  }
  return true;
}

// A group's servers with their live state beside their config (the ETag stays the config's).
void addServerStates(const Runtime& runtime, json& group) {
  const auto snapshot = runtime.snapshot();
  const auto states = runtime.serverStates();
  const auto weights = runtime.liveWeights();
  if (!group.is_object() || !group.contains("servers") || !group["servers"].is_array()) return;
  for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
    const ServerGroupConfig& config = snapshot->serverGroups[g];
    if (config.name != group.value("name", "")) continue;
    for (json& server : group["servers"]) {
      for (size_t s = 0; s < config.servers.size(); ++s) {
        if (server.is_object() && config.servers[s].name == server.value("name", "")) {
          server["state"] = ServerHealth::toString(states->of(g, s).state());
          const auto live = weights.find(config.name + "/" + config.servers[s].name);
          if (live != weights.end()) server["live_weight"] = live->second;
        }
      }
    }
  }
}

// A non-negative integer parameter ("position", "to"): false (and a 400) when it is not one.
bool position(const std::string& text, const char* what, httplib::Response& response, size_t& out) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    sendProblem(response, 400, "Bad request", std::string(what) + " must be a position: 0, 1, ...");
    return false;
  }
  out = std::stoul(text);
  return true;
}

// /api/v1/vips/VIP/rules[/RULE[/move]]: a RULE is a position or a rule's name.
void addRuleRoutes(httplib::Server& server, ConfigEditor& editor) {
  const std::string list = "/api/v1/vips/([^/]+)/rules";
  const std::string item = list + "/([^/]+)";
  server.Get(list, [&editor](const httplib::Request& request, httplib::Response& response) {
    send(response, editor.rules(request.matches[1]));
  });
  server.Put(list, [&editor](const httplib::Request& request, httplib::Response& response) {
    json rules;
    if (!body(request, response, rules)) return;
    if (rules.is_object() && rules.contains("rules")) rules = rules["rules"];
    send(response,
         editor.replaceRules(request.matches[1], rules, request.get_header_value("If-Match")));
  });
  server.Post(list, [&editor](const httplib::Request& request, httplib::Response& response) {
    json rule;
    if (!body(request, response, rule)) return;
    std::optional<size_t> at;
    if (request.has_param("position")) {
      size_t value = 0;
      if (!position(request.get_param_value("position"), "position", response, value)) return;
      at = value;
    }
    send(response, editor.addRule(request.matches[1], rule, at));
  });
  server.Get(item, [&editor](const httplib::Request& request, httplib::Response& response) {
    send(response, editor.rule(request.matches[1], request.matches[2]));
  });
  server.Put(item, [&editor](const httplib::Request& request, httplib::Response& response) {
    json rule;
    if (body(request, response, rule)) {
      send(response, editor.replaceRule(request.matches[1], request.matches[2], rule,
                                        request.get_header_value("If-Match")));
    }
  });
  server.Patch(item, [&editor](const httplib::Request& request, httplib::Response& response) {
    json patch;
    if (body(request, response, patch)) {
      send(response, editor.patchRule(request.matches[1], request.matches[2], patch,
                                      request.get_header_value("If-Match")));
    }
  });
  server.Delete(item, [&editor](const httplib::Request& request, httplib::Response& response) {
    send(response, editor.removeRule(request.matches[1], request.matches[2],
                                     request.get_header_value("If-Match")));
  });
  server.Post(item + "/move",
              [&editor](const httplib::Request& request, httplib::Response& response) {
                json move;
                if (!body(request, response, move)) return;
                const json to = move.is_object() ? move.value("to", json()) : json();
                size_t value = 0;
                if (!position(to.is_number_unsigned() ? std::to_string(to.get<uint64_t>()) : "",
                              "\"to\"", response, value)) {
                  return;
                }
                send(response, editor.moveRule(request.matches[1], request.matches[2], value,
                                               request.get_header_value("If-Match")));
              });
}

}  // namespace

void addConfigApi(httplib::Server& server, ConfigEditor& editor, const ApiAccess& access,
                  const Runtime& runtime) {
  const std::string readable = "(vips|server_groups)";
  const std::string sections = "(vips|server_groups|certificates)";
  server.Get("/api/v1/" + readable + "$",
             [&editor, &runtime](const httplib::Request& request, httplib::Response& response) {
               auto answer = editor.list(request.matches[1]);
               if (request.matches[1] == "server_groups") {
                 for (json& group : answer.body["server_groups"])
                   addServerStates(runtime, group);
               }
               send(response, answer);
             });
  server.Post("/api/v1/" + readable + "$",
              [&editor](const httplib::Request& request, httplib::Response& response) {
                json entry;
                if (body(request, response, entry))
                  send(response, editor.create(request.matches[1], entry));
              });
  // Certificates: read as what they are, uploaded as PEM (or named by path as in the YAML).
  server.Get("/api/v1/certificates$",
             [&editor](const httplib::Request&, httplib::Response& response) {
               send(response, editor.certificates());
             });
  server.Get("/api/v1/certificates/([^/]+)$",
             [&editor](const httplib::Request& request, httplib::Response& response) {
               send(response, editor.certificates(request.matches[1]));
             });
  auto upload = [&editor](bool replace) {
    return [&editor, replace](const httplib::Request& request, httplib::Response& response) {
      json entry;
      if (!body(request, response, entry)) return;
      const std::string name =
          replace ? std::string(request.matches[1]) : entry.value("name", std::string());
      if (entry.is_object() && entry.contains("cert_pem")) {
        return send(response, editor.uploadCertificate(name, entry.value("cert_pem", ""),
                                                       entry.value("key_pem", ""), replace,
                                                       request.get_header_value("If-Match")));
      }
      auto answer = replace ? editor.replace("certificates", name, entry,
                                             request.get_header_value("If-Match"))
                            : editor.create("certificates", entry);
      // Shown as a certificate is read (what it is, never where its key is kept).
      if (answer.status < 300) {
        const int status = answer.status;
        answer = editor.certificates(name);
        answer.status = status;
      }
      send(response, answer);
    };
  };
  server.Post("/api/v1/certificates$", upload(false));
  server.Put("/api/v1/certificates/([^/]+)$", upload(true));

  server.Put("/api/v1/config", [&editor](const httplib::Request& request,
                                         httplib::Response& response) {
    std::string error;
    const bool yaml = request.get_header_value("Content-Type").find("yaml") != std::string::npos;
    const json document =
        yaml ? yamlToDocument(request.body, error) : json::parse(request.body, nullptr, false);
    if (document.is_null() || document.is_discarded()) {
      return sendProblem(response, 400, "Bad request",
                         yaml ? "the body is not YAML: " + error : "the body is not JSON");
    }
    send(response, editor.putDocument(document, request.has_param("dry_run") &&
                                                    request.get_param_value("dry_run") != "0"));
  });

  const std::string item = "/api/v1/" + sections + "/([^/]+)$";
  server.Get(
      "/api/v1/" + readable + "/([^/]+)$",
      [&editor, &runtime](const httplib::Request& request, httplib::Response& response) {
        auto answer = editor.get(request.matches[1], request.matches[2]);
        if (answer.status == 200 && request.get_header_value("If-None-Match") == answer.etag) {
          response.status = 304;
          response.set_header("ETag", answer.etag);
          return;
        }
        if (answer.status == 200 && request.matches[1] == "server_groups") {
          addServerStates(runtime, answer.body);
        }
        send(response, answer);
      });
  server.Put("/api/v1/" + readable + "/([^/]+)$",
             [&editor](const httplib::Request& request, httplib::Response& response) {
               json entry;
               if (body(request, response, entry)) {
                 send(response, editor.replace(request.matches[1], request.matches[2], entry,
                                               request.get_header_value("If-Match")));
               }
             });
  server.Patch(item, [&editor](const httplib::Request& request, httplib::Response& response) {
    json patch;
    if (body(request, response, patch)) {
      send(response, editor.patch(request.matches[1], request.matches[2], patch,
                                  request.get_header_value("If-Match")));
    }
  });
  server.Delete(item, [&editor](const httplib::Request& request, httplib::Response& response) {
    send(response, editor.remove(request.matches[1], request.matches[2],
                                 request.get_header_value("If-Match")));
  });

  addRuleRoutes(server, editor);

  server.Get("/api/v1/config",
             [&editor](const httplib::Request& request, httplib::Response& response) {
               const auto answer = editor.document(request.has_param("draft"));
               if (request.get_header_value("Accept").find("yaml") != std::string::npos) {
                 response.set_header("ETag", answer.etag);
                 response.set_content(documentToYaml(answer.body), "application/yaml");
                 return;
               }
               send(response, answer);
             });
  server.Get("/api/v1/changes", [&editor](const httplib::Request&, httplib::Response& response) {
    send(response, editor.changes());
  });
  server.Delete("/api/v1/changes", [&editor](const httplib::Request&, httplib::Response& response) {
    send(response, editor.discard());
  });
  server.Post("/api/v1/changes/validate",
              [&editor](const httplib::Request&, httplib::Response& response) {
                send(response, editor.validate());
              });
  server.Get("/api/v1/revisions", [&editor](const httplib::Request&, httplib::Response& response) {
    send(response, editor.revisions());
  });
  server.Get(R"(/api/v1/revisions/(\d+))",
             [&editor](const httplib::Request& request, httplib::Response& response) {
               send(response, editor.revision(std::stoull(request.matches[1])));
             });
  server.Get(R"(/api/v1/revisions/(\d+)/diff/(\d+))",
             [&editor](const httplib::Request& request, httplib::Response& response) {
               send(response, editor.revisionDiff(std::stoull(request.matches[1]),
                                                  std::stoull(request.matches[2])));
             });
  server.Post(R"(/api/v1/revisions/(\d+)/restore)",
              [&editor](const httplib::Request& request, httplib::Response& response) {
                send(response, editor.restore(std::stoull(request.matches[1])));
              });
  server.Post("/api/v1/apply", [&editor, &access, &runtime](const httplib::Request& request,
                                                            httplib::Response& response) {
    json options =
        request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
    if (options.is_discarded() || !options.is_object()) {
      return sendProblem(response, 400, "Bad request", "the body is not a JSON object");
    }
    const std::string who =
        access.tokenName(runtime.snapshot()->admin, request.get_header_value("Authorization"));
    const auto within = options.value("confirm_within_s", 0);
    if (within < 0 || within > 3600) {
      return sendProblem(response, 400, "Bad request", "confirm_within_s must be 0 to 3600");
    }
    send(response, editor.apply(request.get_header_value("If-Match"), who,
                                options.value("comment", ""), static_cast<unsigned>(within)));
  });
  server.Post("/api/v1/apply/confirm",
              [&editor](const httplib::Request&, httplib::Response& response) {
                send(response, editor.confirm());
              });
}

}  // namespace sluice
