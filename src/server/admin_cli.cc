#include "server/admin_cli.h"

#include <httplib.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sluice {
namespace {

using json = nlohmann::json;

struct Call {
  int status = 0;
  json body;
  std::string etag;
};

Call request(const AdminTarget& target, const std::string& method, const std::string& path,
             const std::string& body = "", const std::string& type = "application/json",
             const std::string& ifMatch = "") {
  httplib::Client client(target.url);
  // https:// is verified, always: against caFile, or the system's CAs.
  client.enable_server_certificate_verification(true);
  if (!target.caFile.empty()) client.set_ca_cert_path(target.caFile);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);
  httplib::Headers headers;
  if (!target.token.empty()) headers.emplace("Authorization", "Bearer " + target.token);
  if (!ifMatch.empty()) headers.emplace("If-Match", ifMatch);
  httplib::Result result = method == "GET"   ? client.Get(path, headers)
                           : method == "PUT" ? client.Put(path, headers, body, type)
                                             : client.Post(path, headers, body, type);
  Call call;
  if (!result) {
    std::fprintf(stderr, "sluice: %s: %s\n", target.url.c_str(),
                 httplib::to_string(result.error()).c_str());
    return call;
  }
  call.status = result->status;
  call.body = json::parse(result->body, nullptr, false);
  call.etag = result->get_header_value("ETag");
  return call;
}

// A refusal's detail, and its per-field errors, on stderr; the exit code.
int refused(const Call& call) {
  if (call.status == 0) return 1;
  std::fprintf(stderr, "sluice: %d %s: %s\n", call.status,
               call.body.is_object() ? call.body.value("title", "").c_str() : "",
               call.body.is_object() ? call.body.value("detail", "").c_str() : "");
  if (call.body.is_object() && call.body.contains("errors") && call.body["errors"].is_array()) {
    for (const json& error : call.body["errors"]) {
      std::fprintf(stderr, "  %s: %s\n", error.value("pointer", "").c_str(),
                   error.value("message", "").c_str());
    }
  }
  return 1;
}

bool readFile(const std::string& file, std::string& text) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "sluice: cannot read %s\n", file.c_str());
    return false;
  }
  std::stringstream all;
  all << in.rdbuf();
  text = all.str();
  return true;
}

void printResources(const json& resources) {
  for (const json& resource : resources) {
    std::printf("  %-8s %s%s%s\n", resource.value("change", "").c_str(),
                resource.value("section", "").c_str(), resource.contains("name") ? "/" : "",
                resource.value("name", "").c_str());
  }
}

}  // namespace

int cliStatus(const AdminTarget& target) {
  const Call call = request(target, "GET", "/api/v1/status");
  if (call.status != 200) return refused(call);
  std::printf(
      "revision %llu, %zu VIPs, %zu server groups, %zu worker(s), %llu change(s) pending%s\n",
      static_cast<unsigned long long>(call.body.value("revision", 0ULL)),
      call.body.value("vips", size_t{0}), call.body.value("server_groups", size_t{0}),
      call.body.value("workers", size_t{0}),
      static_cast<unsigned long long>(call.body.value("pending_changes", 0ULL)),
      call.body.value("draining", false) ? ", draining" : "");
  return 0;
}

int cliDiff(const AdminTarget& target, const std::string& file) {
  std::string text;
  if (!readFile(file, text)) return 1;
  const Call call = request(target, "PUT", "/api/v1/config?dry_run=1", text, "application/yaml");
  if (call.status != 200) return refused(call);
  const json& resources = call.body["resources"];
  std::printf("%s against the running config: %zu change(s)%s\n", file.c_str(), resources.size(),
              call.body.value("valid", false) ? "" : ", NOT VALID");
  printResources(resources);
  if (!call.body.value("valid", false)) {
    for (const json& error : call.body["errors"]) {
      std::printf("  error %s: %s\n", error.value("pointer", "").c_str(),
                  error.value("message", "").c_str());
    }
    return 1;
  }
  return 0;
}

int cliApply(const AdminTarget& target, const std::string& file, const std::string& comment) {
  std::string text;
  if (!readFile(file, text)) return 1;
  const Call staged = request(target, "PUT", "/api/v1/config", text, "application/yaml");
  if (staged.status != 200) return refused(staged);
  const Call changes = request(target, "GET", "/api/v1/changes");
  if (changes.status != 200) return refused(changes);
  if (changes.body.value("pending", 0) == 0) {
    std::printf("nothing to apply: %s is what runs\n", file.c_str());
    return 0;
  }
  printResources(changes.body["resources"]);
  const Call applied = request(target, "POST", "/api/v1/apply", json{{"comment", comment}}.dump(),
                               "application/json", changes.etag);
  if (applied.status != 200) return refused(applied);
  std::printf("revision %llu is live\n",
              static_cast<unsigned long long>(applied.body.value("revision", 0ULL)));
  return 0;
}

int cliServer(const AdminTarget& target, const std::string& operation, const std::string& server,
              const std::string& weight) {
  const size_t slash = server.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == server.size()) {
    std::fprintf(stderr, "sluice: expected GROUP/SERVER, got '%s'\n", server.c_str());
    return 2;
  }
  std::string body;
  if (operation == "weight") {
    const bool number = !weight.empty() && weight.size() <= 4 &&
                        weight.find_first_not_of("0123456789") == std::string::npos;
    if (!number && weight != "config") {
      std::fprintf(stderr, "sluice: server weight takes a number or 'config', got '%s'\n",
                   weight.c_str());
      return 2;
    }
    body = json{{"weight", number ? json(std::stoul(weight)) : json()}}.dump();
  } else if (!weight.empty()) {
    std::fprintf(stderr, "sluice: server %s takes no value\n", operation.c_str());
    return 2;
  }
  const Call call = request(target, "POST",
                            "/api/v1/server_groups/" + server.substr(0, slash) + "/servers/" +
                                server.substr(slash + 1) + "/" + operation,
                            body);
  if (call.status != 200) return refused(call);
  if (operation == "close") {
    std::printf("%s: %llu connection(s) closed\n", server.c_str(),
                static_cast<unsigned long long>(call.body.value("closed", 0ULL)));
    return 0;
  }
  for (const json& entry : call.body["servers"]) {
    if (entry.value("name", "") == server.substr(slash + 1)) {
      std::printf("%s: %s, weight %u\n", server.c_str(), entry.value("state", "").c_str(),
                  entry.value("weight", 0u));
    }
  }
  return 0;
}

}  // namespace sluice
