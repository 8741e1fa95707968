#include "server/control_loop.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstring>

#include "config/config_loader.h"
#include "core/log.h"
#include "core/units.h"
#include "health/health_counters.h"
#include "server/runtime.h"
#include "tls/session_ticket_keys.h"

namespace sluice {
namespace {

// One line of every worker's counters added up, for the log at exit.
std::string summariseCounters(const std::vector<std::unique_ptr<Worker>>& workers) {
  struct Total {
    const char* name;
    std::atomic<uint64_t> WorkerCounters::*counter;
  };
  static constexpr Total kTotals[] = {
      {"accepted", &WorkerCounters::accepted},
      {"rejected_over_limit", &WorkerCounters::rejectedOverLimit},
      {"connect_failures", &WorkerCounters::connectFailures},
      {"server_tls_failures", &WorkerCounters::serverTlsFailures},
      {"tls_handshake_failures", &WorkerCounters::tlsHandshakeFailures},
      {"tls_handshake_timeouts", &WorkerCounters::tlsHandshakeTimeouts},
      {"not_tls", &WorkerCounters::notTls},
      {"malformed_client_hello", &WorkerCounters::malformedClientHello},
      {"client_hello_too_large", &WorkerCounters::clientHelloTooLarge},
      {"peek_timeouts", &WorkerCounters::peekTimeouts},
      {"no_sni", &WorkerCounters::noSni},
      {"no_route", &WorkerCounters::noRoute},
  };
  std::string line;
  for (const Total& total : kTotals) {
    uint64_t sum = 0;
    for (const auto& worker : workers) {
      sum += (worker->counters().*total.counter).load(std::memory_order_relaxed);
    }
    line.append(line.empty() ? "" : " ").append(total.name).append("=").append(std::to_string(sum));
  }
  return line;
}

// SIGHUP: the file again, validated whole; published only when every check passes.
void reload(Runtime& runtime, const std::string& path) {
  const auto started = std::chrono::steady_clock::now();
  logInfo("SIGHUP: reloading " + path);
  ConfigLoadResult result = loadConfigFile(path);
  for (const std::string& warning : result.warnings)
    logWarn(path + ": " + warning);
  if (!result.ok()) {
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
  logInfo("ready: " + std::to_string(runtime.workers().size()) + " worker(s), config " +
          snapshot->sourcePath);

  // Session-ticket keys rotate twice a day; a ticket stays valid across one rotation.
  constexpr auto kTicketKeyRotation = std::chrono::hours(12);
  auto nextRotation = std::chrono::steady_clock::now() + kTicketKeyRotation;
  bool draining = false;
  while (!draining || !runtime.finished()) {
    const timespec tick{0, 50 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (std::chrono::steady_clock::now() >= nextRotation) {
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
        reload(runtime, snapshot->sourcePath);
      }
      continue;
    }
    if (!draining) {
      draining = true;
      logInfo(std::string(strsignal(sig)) + ": draining, open connections have up to " +
              formatDuration(runtime.snapshot()->global.drainTimeout) + " to finish");
      runtime.drain();
    } else {
      logInfo(std::string(strsignal(sig)) + " again: closing open connections now");
      runtime.closeNow();
    }
  }
  runtime.join();
  const HealthCounters& health = HealthCounters::process();
  logInfo("stopped; totals: " + summariseCounters(runtime.workers()) +
          " servers_down=" + std::to_string(health.wentDown.load()) +
          " servers_up=" + std::to_string(health.cameUp.load()) +
          " ejections=" + std::to_string(health.ejections.load()));
  return 0;
}

}  // namespace sluice
