#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/address.h"
#include "server/admin/api_access.h"
#include "server/admin/audit_log.h"
#include "server/admin/config_editor.h"
#include "server/admin/event_bus.h"
#include "server/admin/live_sampler.h"

namespace httplib {
class Server;
}

namespace sluice {

class Runtime;
class ClusterStore;

// The admin listener (`admin: {listen: ...}`), on its own thread, off the data path: it reads
// the Runtime and never touches a worker's memory.
//   GET /metrics   the Prometheus text format (metrics_page.h)
//   GET /healthz   200 while the process runs its control loop
//   GET /readyz    200 while it serves traffic; 503 once it drains (a load balancer in front of
//                  Sluice, or Kubernetes, stops sending new connections). In cluster mode its
//                  text also says whether etcd answers (a node that lost etcd still serves)
//   /api/v1/...    the admin API (admin/admin_api.h, admin/config_api.h), behind tokens and
//                  roles (ApiAccess); every write attempt is audited (AuditLog)
//   GET /api/v1/stats   rates and totals per VIP and server (LiveSampler)
//   GET /api/v1/events  Server-Sent Events: server state changes, revisions (EventBus)
//   GET /api/v1/cluster cluster mode: etcd as this node sees it, every node and its revision
// Every request's Host header must name the listener (ApiAccess::hostAllowed()). With
// admin.tls it is HTTPS (admin/admin_tls.h).
//
// HTTP is cpp-httplib's (Debian's libcpp-httplib-dev): a small, well-kept server whose
// thread-per-request model suits a low-rate admin port; the data path never uses it.
class AdminServer {
 public:
  // `cluster`: cluster mode's store (the API edits the cluster's config through it); null on a
  // single node, whose store is its config file.
  explicit AdminServer(Runtime& runtime, std::shared_ptr<ClusterStore> cluster = nullptr);
  ~AdminServer();  // stops serving and joins the thread
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds `address` now (a port in use is a start-up error, `error` says so) and serves on its
  // own thread.
  bool start(const SocketAddress& address, std::string& error);

 private:
  nlohmann::json clusterView() const;

  Runtime& runtime_;
  std::shared_ptr<ClusterStore> cluster_;
  ApiAccess access_;
  AuditLog audit_;
  std::unique_ptr<ConfigEditor> editor_;
  EventBus events_;
  std::unique_ptr<LiveSampler> sampler_;
  std::atomic<int> subscribers_{0};  // open event streams
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace sluice
