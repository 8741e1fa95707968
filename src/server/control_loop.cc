#include "server/control_loop.h"

#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <chrono>
#include <cstring>

#include "config/config_loader.h"
#include "core/log.h"
#include "core/units.h"
#include "server/admin_server.h"
#include "server/cluster/cluster_store.h"
#include "server/runtime.h"
#include "tls/session_ticket_keys.h"

namespace sluice {
namespace {

// The totals at exit, from the same counters /metrics shows.
std::string summariseCounters(const MetricsRegistry& metrics) {
  const MetricsRegistry::Totals totals = metrics.totals();
  std::string line = "accepted=" + std::to_string(totals.accepted) +
                     " requests=" + std::to_string(totals.requests) + " closed:";
  for (unsigned r = 0; r < kCloseResults; ++r) {
    if (totals.closed[r] == 0) continue;
    line.append(" ").append(toString(static_cast<CloseResult>(r))).append("=");
    line.append(std::to_string(totals.closed[r]));
  }
  line.append(" servers_down=").append(std::to_string(totals.serversDown));
  line.append(" servers_up=").append(std::to_string(totals.serversUp));
  line.append(" ejections=").append(std::to_string(totals.ejections));
  return line;
}

// Tells systemd (Type=notify) that a reload started; READY=1 follows when it is over, whatever
// its outcome. A no-op when not run by systemd.
void notifyReloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t micros =
      static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
  sd_notify(0, ("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(micros)).c_str());
}

// SIGHUP in cluster mode: the node's own sections again, run with the cluster's shared ones.
void reloadClusterNode(ClusterStore& cluster, Runtime& runtime, const std::string& path) {
  logInfo("SIGHUP: reloading this node's own sections of " + path);
  notifyReloading();
  if (std::string error; !cluster.reloadLocal(error)) {
    logError("reload rejected: " + error + "; revision " + std::to_string(runtime.revision()) +
             " stays in force");
  } else {
    logInfo("reloaded: revision " + std::to_string(runtime.revision()) + " is live");
  }
  sd_notify(0, "READY=1");
}

// SIGHUP: the file again, validated whole; published only when every check passes.
void reload(Runtime& runtime, const std::string& path) {
  const auto started = std::chrono::steady_clock::now();
  logInfo("SIGHUP: reloading " + path);
  notifyReloading();
  struct Ready {
    ~Ready() { sd_notify(0, "READY=1"); }
  } ready;
  ConfigLoadResult result = loadConfigFile(path);
  for (const std::string& warning : result.warnings)
    logWarn(path + ": " + warning);
  if (!result.ok()) {
    runtime.countInvalidReload();
    for (const ConfigError& error : result.errors)
      logError(error.toString());
    logError("reload rejected: " + std::to_string(result.errors.size()) + " error(s) in " + path +
             "; revision " + std::to_string(runtime.revision()) + " stays in force");
    return;
  }
  if (std::string error; !runtime.publish(result.snapshot, error)) {
    logError(path + ": " + error);
    logError("reload rejected; revision " + std::to_string(runtime.revision()) + " stays in force");
    return;
  }
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  logInfo("reloaded: revision " + std::to_string(runtime.revision()) + " is live (" +
          std::to_string(result.snapshot->vips.size()) + " VIPs, " +
          std::to_string(took.count() / 1000.0).substr(0, 6) + " ms)");
}

}  // namespace

int runSluice(std::shared_ptr<const ConfigSnapshot> snapshot) {
  // A peer that closes while we write must give EPIPE, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  // Signals are taken synchronously by this thread only: block them before any worker starts,
  // so that workers inherit the mask and never run a handler mid-operation.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Cluster mode: what runs is the cluster's config (or, while etcd cannot be reached, the last
  // one this node kept), with the file's own sections.
  std::shared_ptr<ClusterStore> cluster;
  if (snapshot->cluster.enabled) {
    cluster = std::make_shared<ClusterStore>(*snapshot);
    snapshot = cluster->startupSnapshot();
    if (!snapshot) return 1;
  }
  AccessLog accessLog;
  std::string error;
  if (!accessLog.open(snapshot->global.accessLog, error)) {
    logError(error);
    return 1;
  }
  Runtime runtime(accessLog);
  if (!runtime.start(snapshot)) return 1;
  for (const VipConfig& vip : snapshot->vips) {
    if (!vip.active) {
      logInfo("vip " + vip.name + " is inactive (active: false): not listening on " +
              vip.listen.toString());
      continue;
    }
    logInfo("vip " + vip.name + " (" + toString(vip.service) + ") listening on " +
            vip.listen.toString() + " -> group " + vip.defaultGroup);
  }
  if (cluster) cluster->start(runtime);
  AdminServer admin(runtime, cluster);
  if (snapshot->admin.enabled) {
    if (!admin.start(snapshot->admin.listen, error)) {
      logError(error);
      runtime.drain();
      runtime.closeNow();
      return 1;
    }
    logInfo(std::string("admin listening on ") + (snapshot->admin.tls ? "https://" : "http://") +
            snapshot->admin.listen.toString() + " (/metrics, /healthz, /readyz, /api/v1)");
  }
  logInfo("ready: " + std::to_string(runtime.workers().size()) + " worker(s), config " +
          snapshot->sourcePath);
  sd_notify(0, "READY=1");

  // Session-ticket keys rotate twice a day; a ticket stays valid across one rotation.
  constexpr auto kTicketKeyRotation = std::chrono::hours(12);
  auto nextRotation = std::chrono::steady_clock::now() + kTicketKeyRotation;
  bool draining = false;
  while (!draining || !runtime.finished()) {
    const timespec tick{0, 50 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    // In cluster mode the cluster rotates them (cluster.session_ticket_rotation).
    if (!cluster && std::chrono::steady_clock::now() >= nextRotation) {
      SessionTicketKeys::process().rotate();
      nextRotation += kTicketKeyRotation;
    }
    if (sig < 0) continue;  // EAGAIN: the tick passed; EINTR
    if (sig == SIGUSR1) {
      // logrotate has moved the file: records go to a new one from now on.
      if (std::string why; !accessLog.reopen(why)) {
        logError(why);
      } else {
        logInfo("SIGUSR1: access log reopened");
      }
      continue;
    }
    if (sig == SIGHUP) {
      if (draining) {
        logWarn("SIGHUP while draining: ignored");
      } else {
        if (cluster) {
          reloadClusterNode(*cluster, runtime, snapshot->sourcePath);
        } else {
          reload(runtime, snapshot->sourcePath);
        }
      }
      continue;
    }
    if (!draining) {
      draining = true;
      logInfo(std::string(strsignal(sig)) + ": draining, open connections have up to " +
              formatDuration(runtime.snapshot()->global.drainTimeout) + " to finish");
      sd_notify(0, "STOPPING=1");
      runtime.drain();
    } else {
      logInfo(std::string(strsignal(sig)) + " again: closing open connections now");
      runtime.closeNow();
    }
  }
  runtime.join();
  logInfo("stopped; totals: " + summariseCounters(runtime.metrics()));
  return 0;
}

}  // namespace sluice
