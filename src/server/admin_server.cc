#include "server/admin_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include "core/log.h"
#include "server/metrics_page.h"
#include "server/runtime.h"

namespace sluice {
namespace {

// Requests at once: a scraper, a probe and an operator's curl are plenty.
constexpr size_t kAdminThreads = 4;

}  // namespace

AdminServer::AdminServer(const Runtime& runtime)
    : runtime_(runtime), server_(std::make_unique<httplib::Server>()) {}

AdminServer::~AdminServer() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

bool AdminServer::start(const SocketAddress& address, std::string& error) {
  httplib::Server& server = *server_;
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

  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(renderMetrics(runtime_), "text/plain; version=0.0.4; charset=utf-8");
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
    response.set_content("ready: revision " + std::to_string(runtime_.revision()) + "\n",
                         "text/plain");
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
