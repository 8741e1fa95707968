#include "server/runtime.h"

#include <pthread.h>

#include <condition_variable>

#include "core/log.h"
#include "server/worker_config.h"

namespace sluice {
namespace {

// Settings read once at start: a reload that changes one is refused with this reason, rather
// than half applied.
std::string restartOnlyChange(const GlobalConfig& running, unsigned runningWorkers,
                              const ConfigSnapshot& next) {
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
  std::string error;
  std::map<std::string, Sockets> added;
  if (!bindNewAddresses(*snapshot, added, error)) {
    logError(error);
    return false;
  }
  listening_ = std::move(added);
  const auto states = health_.statesFor(*snapshot);
  revision_ = 1;
  snapshot_ = snapshot;
  for (unsigned w = 0; w < workerCount_; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, workerConfig(snapshot, states, revision_, w),
                                                listenersOf(*snapshot, w), accessLog_));
  }
  for (auto& worker : workers_) {
    threads_.emplace_back([worker = worker.get()] {
      pthread_setname_np(pthread_self(), ("sluice-w" + std::to_string(worker->id())).c_str());
      worker->run();
    });
  }
  checker_ = std::make_unique<HealthChecker>(snapshot, states);
  checker_->start();
  return true;
}

bool Runtime::publish(std::shared_ptr<const ConfigSnapshot> snapshot, std::string& error) {
  if (std::string why = restartOnlyChange(snapshot_->global, workerCount_, *snapshot);
      !why.empty()) {
    error = why;
    return false;
  }
  std::map<std::string, Sockets> added;
  if (!bindNewAddresses(*snapshot, added, error)) return false;  // `added` closes them
  // From here nothing can fail.
  for (auto& [address, sockets] : added)
    listening_.emplace(address, std::move(sockets));
  const auto states = health_.statesFor(*snapshot);
  uint64_t revision;
  {
    std::lock_guard lock(mutex_);
    revision = ++revision_;
    snapshot_ = snapshot;
  }
  onEveryWorker([&](Worker& worker, std::function<void()> done) {
    worker.publish(workerConfig(snapshot, states, revision, worker.id()),
                   listenersOf(*snapshot, worker.id()), std::move(done));
  });
  // No worker watches the sockets of addresses that went away any more: close them.
  for (auto it = listening_.begin(); it != listening_.end();) {
    bool served = false;
    for (const VipConfig& vip : snapshot->vips)
      served |= vip.active && vip.listen.toString() == it->first;
    if (served) {
      ++it;
    } else {
      logInfo("stopped listening on " + it->first);
      it = listening_.erase(it);
    }
  }
  checker_ = std::make_unique<HealthChecker>(snapshot, states);
  checker_->start();
  return true;
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
    const std::shared_ptr<const ServerStates>& states, uint64_t revision, unsigned worker) const {
  return std::make_shared<WorkerConfig>(snapshot, states, revision, worker);
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

}  // namespace sluice
