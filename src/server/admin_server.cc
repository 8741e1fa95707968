#include "server/admin_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string_view>

#include "core/log.h"
#include "server/admin/admin_api.h"
#include "server/admin/admin_tls.h"
#include "server/admin/config_api.h"
#include "server/admin/problem.h"
#include "server/cluster/cluster_store.h"
#include "server/console_site.h"
#include "server/metrics_page.h"
#include "server/runtime.h"

namespace sluice {
namespace {

// Requests at once: a scraper, a probe, an operator's curl, and the event streams (each holds a
// thread while open, so at most kMaxEventStreams of them).
constexpr size_t kAdminThreads = 8;
constexpr int kMaxEventStreams = 4;

bool isWrite(const httplib::Request& request) {
  return request.method != "GET" && request.method != "HEAD";
}

}  // namespace

AdminServer::AdminServer(Runtime& runtime, std::shared_ptr<ClusterStore> cluster)
    : runtime_(runtime), cluster_(std::move(cluster)), server_(makeAdminHttpServer(runtime)) {}

// GET /api/v1/cluster: this node, etcd as it sees it, and every node with the revision it
// runs. On a single node: {"cluster": false}.
nlohmann::json AdminServer::clusterView() const {
  using json = nlohmann::json;
  if (!cluster_) return {{"cluster", false}, {"nodes", json::array()}};
  const ClusterStore::Status status = cluster_->status();
  const ClusterConfig& config = runtime_.snapshot()->cluster;
  json view = {{"cluster", true},
               {"node", status.nodeId},
               {"prefix", config.prefix},
               {"etcd",
                {{"endpoints", config.endpoints},
                 {"reachable", status.reachable},
                 {"unreachable_since", status.unreachableSince},
                 {"last_error", status.lastError}}},
               {"revision", {{"running", status.running}, {"latest", status.latest}}},
               {"source", status.source}};
  json nodes;
  std::string error;
  if (cluster_->nodes(nodes, error)) {
    view["nodes"] = nodes;
  } else {
    view["nodes"] = json::array();
    view["nodes_error"] = error;
  }
  return view;
}

AdminServer::~AdminServer() {
  events_.stop();  // open event streams end first, so the server can stop
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

bool AdminServer::start(const SocketAddress& address, std::string& error) {
  httplib::Server& server = *server_;
  if (!server.is_valid()) {
    error = "admin.tls: the TLS context could not be set up";
    return false;
  }
  server.new_task_queue = [] { return new httplib::ThreadPool(kAdminThreads); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second Sluice
  // bind the same admin port silently.
  server.set_socket_options([](socket_t fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);
  server.set_payload_max_length(64 * 1024);

  // Before any route: the Host header, then (for the API) the token and its role.
  server.set_pre_routing_handler([this](const httplib::Request& request,
                                        httplib::Response& response) {
    const AdminConfig& admin = runtime_.snapshot()->admin;
    if (!access_.hostAllowed(admin, request.get_header_value("Host"))) {
      sendProblem(response, 403, "Host not allowed",
                  "this listener answers to its own address, localhost and admin.allowed_hosts");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (request.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112, 6.3), as
    // `curl -X POST URL` sends it; httplib 0.11 would wait for one until the read timeout. The
    // body is read after this handler, so saying so here is enough (the Request is httplib's
    // own, mutable object, handed to us as const).
    if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(request).set_header("Content-Length", "0");
    }
    const ApiAccess::Verdict verdict = access_.check(
        admin, request.get_header_value("Authorization"), request.remote_addr, isWrite(request));
    if (verdict.status != 200) {
      static const std::map<int, std::string> kTitles = {
          {401, "Unauthorized"}, {403, "Forbidden"}, {429, "Too many failed attempts"}};
      sendProblem(response, verdict.status, kTitles.at(verdict.status), verdict.reason);
      if (verdict.status == 401) response.set_header("WWW-Authenticate", "Bearer");
      if (verdict.status == 429) response.set_header("Retry-After", "60");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // After every answer: each write attempt to the API goes to the audit log, allowed or not.
  server.set_post_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (request.path.rfind("/api/", 0) != 0 || !isWrite(request)) return;
        const AdminConfig& admin = runtime_.snapshot()->admin;
        audit_.record(
            admin.auditLog,
            {access_.tokenName(admin, request.get_header_value("Authorization")),
             request.remote_addr, request.method, request.path, request.body, response.status});
      });
  // Unknown API paths and methods answer as the API's other errors do.
  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (request.path.rfind("/api/", 0) == 0 && response.body.empty()) {
      sendProblem(response, response.status, response.status == 404 ? "Not found" : "Error",
                  request.method + " " + request.path + " is not part of the API");
    }
  });
  // The staged config, kept beside the state file: NAME.draft.json.
  const auto snapshot = runtime_.snapshot();
  std::string base = snapshot->admin.stateFile;
  if (base.ends_with(".json")) base.resize(base.size() - 5);
  std::shared_ptr<ConfigStore> store = cluster_;
  if (!store) store = std::make_shared<FileConfigStore>(snapshot->sourcePath);
  editor_ = std::make_unique<ConfigEditor>(runtime_, std::move(store), base + ".draft.json",
                                           base + ".history", base + ".certs");
  std::function<nlohmann::json()> clusterStatus;
  if (cluster_) {
    clusterStatus = [this] {
      const ClusterStore::Status status = cluster_->status();
      return nlohmann::json{{"node", status.nodeId},
                            {"revision", status.running},
                            {"etcd_reachable", status.reachable}};
    };
  }
  addAdminApi(server, runtime_, *editor_, clusterStatus);
  sampler_ = std::make_unique<LiveSampler>(runtime_, events_);
  server.Get("/api/v1/stats", [this](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "no-store");
    response.set_content(sampler_->stats().dump(2) + "\n", "application/json");
  });
  server.Get("/api/v1/events", [this](const httplib::Request& request,
                                      httplib::Response& response) {
    if (subscribers_.fetch_add(1) >= kMaxEventStreams) {
      subscribers_.fetch_sub(1);
      sendProblem(response, 503, "Too many event streams",
                  "at most " + std::to_string(kMaxEventStreams) + " may be open at once");
      return;
    }
    // A client coming back says what it saw last; it gets what it missed (the last 256 events).
    uint64_t after = events_.last();
    if (const std::string last = request.get_header_value("Last-Event-ID"); !last.empty()) {
      after = std::strtoull(last.c_str(), nullptr, 10);
    }
    response.set_header("Cache-Control", "no-store");
    auto seen = std::make_shared<uint64_t>(after);
    auto greeted = std::make_shared<bool>(false);
    response.set_chunked_content_provider(
        "text/event-stream",
        [this, seen, greeted](size_t, httplib::DataSink& sink) {
          if (!*greeted) {
            *greeted = true;
            constexpr std::string_view hello = ": sluice events\n\n";
            return sink.write(hello.data(), hello.size());
          }
          const auto batch = events_.since(*seen, std::chrono::seconds(15));
          if (events_.stopped()) return false;
          if (batch.empty()) {
            constexpr std::string_view ping = ": keep-alive\n\n";
            return sink.is_writable() && sink.write(ping.data(), ping.size());
          }
          for (const EventBus::Event& event : batch) {
            const std::string text = "id: " + std::to_string(event.id) + "\nevent: " + event.type +
                                     "\ndata: " + event.data.dump() + "\n\n";
            if (!sink.write(text.data(), text.size())) return false;
            *seen = event.id;
          }
          return true;
        },
        [this](bool) { subscribers_.fetch_sub(1); });
  });
  addConfigApi(server, *editor_, access_, runtime_);
  server.Get("/api/v1/cluster", [this](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "no-store");
    response.set_content(clusterView().dump(2) + "\n", "application/json");
  });

  addConsole(server);
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    std::string text = renderMetrics(runtime_);
    if (cluster_) text += clusterMetrics(cluster_->status());
    response.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    if (runtime_.draining()) {
      response.status = 503;
      response.set_content("draining\n", "text/plain");
      return;
    }
    std::string text = "ready: revision " + std::to_string(runtime_.revision()) + "\n";
    if (cluster_) {
      // Still ready without etcd: the node serves what it runs, and says so.
      const ClusterStore::Status status = cluster_->status();
      text +=
          "cluster: node " + status.nodeId + ", cluster revision " +
          std::to_string(status.running) +
          (status.reachable
               ? ", etcd answers\n"
               : ", etcd unreachable since " + std::to_string(status.unreachableSince) +
                     " (serving the last config; writes answer 503): " + status.lastError + "\n");
    }
    response.set_content(text, "text/plain");
  });

  if (!server.bind_to_port(address.ipString(), address.port())) {
    error = "admin.listen: cannot listen on " + address.toString() +
            " (in use, or not an "
            "address of this host)";
    return false;
  }
  thread_ = std::thread([&server] {
    pthread_setname_np(pthread_self(), "sluice-admin");
    server.listen_after_bind();
  });
  return true;
}

}  // namespace sluice
