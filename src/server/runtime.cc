#include "server/runtime.h"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <set>

#include "core/descriptor_limit.h"
#include "core/log.h"
#include "server/admin/state_file.h"
#include "worker/worker_config.h"

namespace sluice {
namespace {

// Settings read once at start: a reload that changes one is refused with this reason, rather
// than half applied.
std::string restartOnlyChange(const ConfigSnapshot& runningConfig, unsigned runningWorkers,
                              const ConfigSnapshot& next) {
  const GlobalConfig& running = runningConfig.global;
  auto refuse = [](const std::string& key, const std::string& was, const std::string& is) {
    return "global." + key + " changes only at a restart (running: " + was + ", file: " + is + ")";
  };
  if (next.workerCount() != runningWorkers) {
    return refuse("workers", std::to_string(runningWorkers), std::to_string(next.workerCount()));
  }
  if (next.global.accessLog != running.accessLog) {
    return refuse("access_log", running.accessLog, next.global.accessLog);
  }
  if (next.global.pipeSize != running.pipeSize) {
    return refuse("pipe_size", std::to_string(running.pipeSize),
                  std::to_string(next.global.pipeSize));
  }
  const AdminConfig& admin = runningConfig.admin;
  if (next.admin.enabled != admin.enabled || !(next.admin.listen == admin.listen)) {
    auto where = [](const AdminConfig& a) { return a.enabled ? a.listen.toString() : "off"; };
    return "admin.listen changes only at a restart (running: " + where(admin) +
           ", file: " + where(next.admin) + ")";
  }
  if ((next.admin.tls == nullptr) != (admin.tls == nullptr)) {
    return std::string("admin.tls is turned ") + (next.admin.tls ? "on" : "off") +
           " only at a restart (a new certificate for it is taken at a reload)";
  }
  return "";
}

}  // namespace

Runtime::Runtime(const AccessLog& accessLog) : accessLog_(accessLog) {}

Runtime::~Runtime() {
  checker_.reset();
  join();
}

bool Runtime::start(std::shared_ptr<const ConfigSnapshot> snapshot) {
  workerCount_ = snapshot->workerCount();
  if (const std::string warning = ensureDescriptorLimit(snapshot->global.maxConnections);
      !warning.empty()) {
    logWarn(warning);
  }
  std::string error;
  LiveState kept;
  if (!loadLiveState(snapshot->admin.stateFile, kept, error)) {
    logError("admin.state_file: " + error);
    return false;
  }
  if (!kept.operations.empty() || !kept.weights.empty()) {
    logInfo(std::to_string(kept.operations.size() + kept.weights.size()) +
            " live operation(s) restored from " + snapshot->admin.stateFile);
  }
  health_.restoreOperations(std::move(kept.operations));
  weights_ = std::move(kept.weights);
  configured_ = snapshot;  // no other thread runs yet
  snapshot = withLiveWeights(snapshot);
  std::map<std::string, Sockets> added;
  if (!bindNewAddresses(*snapshot, added, error)) {
    logError(error);
    return false;
  }
  listening_ = std::move(added);
  metrics_ = std::make_unique<MetricsRegistry>(workerCount_);
  const auto states = health_.statesFor(*snapshot);
  const auto metrics = metrics_->metricsFor(*snapshot);
  {
    std::lock_guard lock(mutex_);
    revision_ = 1;
    snapshot_ = snapshot;
    states_ = states;
  }
  for (unsigned w = 0; w < workerCount_; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, workerConfig(snapshot, states, metrics, 1, w),
                                                listenersOf(*snapshot, w), accessLog_));
  }
  for (auto& worker : workers_) {
    threads_.emplace_back([worker = worker.get()] {
      pthread_setname_np(pthread_self(), ("sluice-w" + std::to_string(worker->id())).c_str());
      worker->run();
    });
  }
  checker_ = std::make_unique<HealthChecker>(snapshot, states, metrics, metrics_->healthWriter());
  checker_->start();
  return true;
}

bool Runtime::publish(std::shared_ptr<const ConfigSnapshot> snapshot, std::string& error) {
  std::lock_guard control(controlMutex_);
  // Workers that finished their drain run no more tasks: nothing could acknowledge it.
  if (draining()) {
    error = "Sluice is shutting down (draining): nothing new is published";
    reloads_[kRefused].add();
    return false;
  }
  if (!publishLocked(withLiveWeights(snapshot), true, error)) return false;
  std::lock_guard lock(mutex_);
  configured_ = std::move(snapshot);
  return true;
}

std::shared_ptr<const ConfigSnapshot> Runtime::withLiveWeights(
    const std::shared_ptr<const ConfigSnapshot>& configured) const {
  std::lock_guard lock(mutex_);
  if (weights_.empty()) return configured;
  auto changed = std::make_shared<ConfigSnapshot>(*configured);
  bool any = false;
  for (ServerGroupConfig& group : changed->serverGroups) {
    for (ServerConfig& server : group.servers) {
      const auto live = weights_.find(group.name + "/" + server.name);
      if (live == weights_.end() || live->second == server.weight) continue;
      server.weight = live->second;
      any = true;
    }
  }
  return any ? changed : configured;
}

std::shared_ptr<const ConfigSnapshot> Runtime::configured() const {
  std::lock_guard lock(mutex_);
  return configured_;
}

std::map<std::string, uint32_t> Runtime::liveWeights() const {
  std::lock_guard lock(mutex_);
  return weights_;
}

bool Runtime::saveLiveState(std::string& error) const {
  LiveState state{health_.operations(), liveWeights()};
  if (sluice::saveLiveState(configured_->admin.stateFile, state, error)) return true;
  logError("admin.state_file: " + error);
  return false;
}

bool Runtime::publishLocked(std::shared_ptr<const ConfigSnapshot> snapshot, bool newRevision,
                            std::string& error) {
  if (std::string why = restartOnlyChange(*snapshot_, workerCount_, *snapshot); !why.empty()) {
    error = why;
    reloads_[kRefused].add();
    return false;
  }
  std::map<std::string, Sockets> added;
  if (!bindNewAddresses(*snapshot, added, error)) {
    reloads_[kRefused].add();
    return false;  // `added` closes them
  }
  // From here nothing can fail.
  if (snapshot->global.maxConnections != snapshot_->global.maxConnections) {
    if (const std::string warning = ensureDescriptorLimit(snapshot->global.maxConnections);
        !warning.empty()) {
      logWarn(warning);
    }
  }
  for (auto& [address, sockets] : added)
    listening_.emplace(address, std::move(sockets));
  const auto states = health_.statesFor(*snapshot);
  const auto metrics = metrics_->metricsFor(*snapshot);
  uint64_t revision;
  {
    std::lock_guard lock(mutex_);
    revision = newRevision ? ++revision_ : revision_;
    snapshot_ = snapshot;
    states_ = states;
  }
  onEveryWorker([&](Worker& worker, std::function<void()> done) {
    worker.publish(workerConfig(snapshot, states, metrics, revision, worker.id()),
                   listenersOf(*snapshot, worker.id()), std::move(done));
  });
  // No worker watches the sockets of addresses that went away any more: close them.
  std::set<std::string> served;
  for (const VipConfig& vip : snapshot->vips) {
    if (vip.active) served.insert(vip.listen.toString());
  }
  for (auto it = listening_.begin(); it != listening_.end();) {
    if (served.count(it->first)) {
      ++it;
    } else {
      logInfo("stopped listening on " + it->first);
      it = listening_.erase(it);
    }
  }
  checker_ = std::make_unique<HealthChecker>(snapshot, states, metrics, metrics_->healthWriter());
  checker_->start();
  if (!newRevision) return true;
  reloads_[kOk].add();
  lastReloadMillis_.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count(),
                          std::memory_order_relaxed);
  return true;
}

namespace {

// Where group/server is in `snapshot`: false when it has no such server.
bool findServer(const ConfigSnapshot& snapshot, const std::string& group, const std::string& server,
                size_t& g, size_t& s) {
  for (g = 0; g < snapshot.serverGroups.size(); ++g) {
    if (snapshot.serverGroups[g].name != group) continue;
    const auto& servers = snapshot.serverGroups[g].servers;
    for (s = 0; s < servers.size(); ++s) {
      if (servers[s].name == server) return true;
    }
  }
  return false;
}

}  // namespace

Runtime::OperationResult Runtime::operateServer(const std::string& group, const std::string& server,
                                                HealthRegistry::Operation operation,
                                                std::string& error) {
  std::lock_guard control(controlMutex_);
  const auto snapshot = this->snapshot();
  size_t g = 0, s = 0;
  if (!findServer(*snapshot, group, server, g, s)) {
    error = "no server '" + server + "' in group '" + group + "'";
    return OperationResult::kNoSuchServer;
  }
  health_.setOperation(group, server, operation, serverStates()->of(g, s),
                       snapshot->serverGroups[g].servers[s].drain);
  logInfo("server " + group + "/" + server + ": " + HealthRegistry::toString(operation) +
          " (admin API)");
  return saveLiveState(error) ? OperationResult::kDone : OperationResult::kNotSaved;
}

Runtime::OperationResult Runtime::setWeight(const std::string& group, const std::string& server,
                                            std::optional<uint32_t> weight, std::string& error) {
  std::lock_guard control(controlMutex_);
  if (draining()) {
    error = "Sluice is shutting down (draining)";
    return OperationResult::kShuttingDown;
  }
  size_t g = 0, s = 0;
  if (!findServer(*configured_, group, server, g, s)) {
    error = "no server '" + server + "' in group '" + group + "'";
    return OperationResult::kNoSuchServer;
  }
  {
    std::lock_guard lock(mutex_);
    if (weight) {
      weights_[group + "/" + server] = *weight;
    } else {
      weights_.erase(group + "/" + server);
    }
  }
  const uint32_t now = weight ? *weight : configured_->serverGroups[g].servers[s].weight;
  logInfo("server " + group + "/" + server + ": weight " + std::to_string(now) +
          (weight ? " (admin API)" : " (the config's, admin API)"));
  // The same config again, so nothing that can refuse a reload applies.
  if (!publishLocked(withLiveWeights(configured_), false, error)) {
    logError("a live weight could not be put in force: " + error);
  }
  return saveLiveState(error) ? OperationResult::kDone : OperationResult::kNotSaved;
}

Runtime::OperationResult Runtime::closeConnections(const std::string& group,
                                                   const std::string& server, size_t& closed,
                                                   std::string& error) {
  std::lock_guard control(controlMutex_);
  if (draining()) {
    error = "Sluice is shutting down (draining)";
    return OperationResult::kShuttingDown;
  }
  const auto snapshot = this->snapshot();
  size_t g = 0, s = 0;
  if (!findServer(*snapshot, group, server, g, s)) {
    error = "no server '" + server + "' in group '" + group + "'";
    return OperationResult::kNoSuchServer;
  }
  const ServerHealth* health = &serverStates()->of(g, s);
  const SocketAddress address = snapshot->serverGroups[g].servers[s].address;
  std::atomic<size_t> total{0};
  onEveryWorker([&](Worker& worker, std::function<void()> done) {
    worker.closeConnectionsTo(health, address, [&total, done = std::move(done)](size_t n) {
      total.fetch_add(n, std::memory_order_relaxed);
      done();
    });
  });
  closed = total.load();
  logInfo("server " + group + "/" + server + ": " + std::to_string(closed) +
          " connection(s) closed (admin API)");
  return OperationResult::kDone;
}

std::map<size_t, std::string> Runtime::testBind(const ConfigSnapshot& snapshot) {
  std::lock_guard control(controlMutex_);
  std::map<size_t, std::string> refused;
  for (size_t v = 0; v < snapshot.vips.size(); ++v) {
    const VipConfig& vip = snapshot.vips[v];
    if (!vip.active || listening_.count(vip.listen.toString())) continue;
    if (std::string why; !addressFree(vip.listen, why)) refused[v] = why;
  }
  return refused;
}

bool Runtime::bindNewAddresses(const ConfigSnapshot& snapshot,
                               std::map<std::string, Sockets>& added, std::string& error) const {
  for (size_t v = 0; v < snapshot.vips.size(); ++v) {
    const VipConfig& vip = snapshot.vips[v];
    if (!vip.active) continue;
    const std::string address = vip.listen.toString();
    if (listening_.count(address) || added.count(address)) continue;
    const std::string where = "vips[" + std::to_string(v) + "] (" + vip.name + "): ";
    if (std::string why; !addressFree(vip.listen, why)) {
      error = where + why;
      return false;
    }
    Sockets& sockets = added[address];
    for (unsigned w = 0; w < workerCount_; ++w) {
      std::string why;
      UniqueFd fd = listenTcp(vip.listen, snapshot.global.listenBacklog, why);
      if (!fd.valid()) {
        error = where + why;
        return false;
      }
      sockets.push_back(std::move(fd));
    }
  }
  return true;
}

std::vector<ListenSocket> Runtime::listenersOf(const ConfigSnapshot& snapshot,
                                               unsigned worker) const {
  std::vector<ListenSocket> sockets;
  for (size_t v = 0; v < snapshot.vips.size(); ++v) {
    if (!snapshot.vips[v].active) continue;
    const auto found = listening_.find(snapshot.vips[v].listen.toString());
    if (found != listening_.end()) sockets.push_back({v, found->second[worker].get()});
  }
  return sockets;
}

std::shared_ptr<const WorkerConfig> Runtime::workerConfig(
    const std::shared_ptr<const ConfigSnapshot>& snapshot,
    const std::shared_ptr<const ServerStates>& states,
    const std::shared_ptr<const SnapshotMetrics>& metrics, uint64_t revision,
    unsigned worker) const {
  return std::make_shared<WorkerConfig>(snapshot, states, metrics, revision, worker);
}

void Runtime::onEveryWorker(const std::function<void(Worker&, std::function<void()>)>& step) {
  std::mutex mutex;
  std::condition_variable acknowledged;
  size_t pending = workers_.size();
  for (auto& worker : workers_) {
    step(*worker, [&] {
      std::lock_guard lock(mutex);
      if (--pending == 0) acknowledged.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  acknowledged.wait(lock, [&] { return pending == 0; });
}

void Runtime::drain() {
  // After any publish or live operation in progress, and before any other: those that come
  // later see draining() and refuse, so none waits on a worker that has stopped.
  std::lock_guard control(controlMutex_);
  draining_.store(true, std::memory_order_relaxed);
  onEveryWorker([](Worker& worker, std::function<void()> done) { worker.drain(std::move(done)); });
  listening_.clear();  // no worker watches them now: new connections are refused
  checker_.reset();
}

void Runtime::closeNow() {
  for (auto& worker : workers_)
    worker->closeNow();
}

bool Runtime::finished() const {
  for (const auto& worker : workers_) {
    if (!worker->finished()) return false;
  }
  return true;
}

void Runtime::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

uint64_t Runtime::revision() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

std::shared_ptr<const ConfigSnapshot> Runtime::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::shared_ptr<const ServerStates> Runtime::serverStates() const {
  std::lock_guard lock(mutex_);
  return states_;
}

double Runtime::lastReloadSeconds() const {
  return static_cast<double>(lastReloadMillis_.load(std::memory_order_relaxed)) / 1000.0;
}

uint64_t Runtime::drainingConnections() const {
  uint64_t total = 0;
  for (const auto& worker : workers_)
    total += worker->drainingSessions();
  return total;
}

}  // namespace sluice
