#include "server/runtime.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/units.h"
#include "health/health_checker.h"
#include "health/health_counters.h"
#include "server/worker.h"
#include "tls/session_ticket_keys.h"

namespace sluice {
namespace {

// Binds each active VIP's address once per worker (SO_REUSEPORT). On the first failure, logs
// which VIP and address and why, and returns false.
bool bindListeners(const ConfigSnapshot& config, unsigned workers,
                   std::vector<std::vector<ListenSocket>>& perWorker) {
  perWorker.resize(workers);
  for (size_t v = 0; v < config.vips.size(); ++v) {
    const VipConfig& vip = config.vips[v];
    if (!vip.active) {
      logInfo("vip " + vip.name + " is inactive (active: false): not listening on " +
              vip.listen.toString());
      continue;
    }
    if (std::string error; !addressFree(vip.listen, error)) {
      logError("vips[" + std::to_string(v) + "] (" + vip.name + "): " + error);
      return false;
    }
    for (unsigned w = 0; w < workers; ++w) {
      std::string error;
      UniqueFd fd = listenTcp(vip.listen, config.global.listenBacklog, error);
      if (!fd.valid()) {
        logError("vips[" + std::to_string(v) + "] (" + vip.name + "): " + error);
        return false;
      }
      perWorker[w].push_back(ListenSocket{v, std::move(fd)});
    }
    logInfo("vip " + vip.name + " (" + toString(vip.service) + ") listening on " +
            vip.listen.toString() + " -> group " + vip.defaultGroup);
  }
  return true;
}

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
  const unsigned workerCount = snapshot->workerCount();
  std::vector<std::vector<ListenSocket>> listeners;
  if (!bindListeners(*snapshot, workerCount, listeners)) return 1;

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned w = 0; w < workerCount; ++w) {
    workers.push_back(std::make_unique<Worker>(w, snapshot, std::move(listeners[w]), accessLog));
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&worker] {
      pthread_setname_np(pthread_self(), ("sluice-w" + std::to_string(worker->id())).c_str());
      worker->run();
    });
  }
  HealthChecker healthChecker(snapshot);
  healthChecker.start();
  logInfo("ready: " + std::to_string(workerCount) + " worker(s), config " + snapshot->sourcePath);

  // Session-ticket keys rotate twice a day; a ticket stays valid across one rotation.
  constexpr auto kTicketKeyRotation = std::chrono::hours(12);
  auto nextRotation = std::chrono::steady_clock::now() + kTicketKeyRotation;
  bool draining = false;
  auto allFinished = [&] {
    for (auto& worker : workers) {
      if (!worker->finished()) return false;
    }
    return true;
  };
  while (!draining || !allFinished()) {
    const timespec tick{0, 50 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (std::chrono::steady_clock::now() >= nextRotation) {
      SessionTicketKeys::process().rotate();
      nextRotation += kTicketKeyRotation;
    }
    if (sig < 0) continue;  // EAGAIN: the tick passed; EINTR
    if (sig == SIGUSR1) {
      // logrotate has moved the file: records go to a new one from now on.
      if (std::string error; !accessLog.reopen(error)) {
        logError(error);
      } else {
        logInfo("SIGUSR1: access log reopened");
      }
      continue;
    }
    if (sig == SIGHUP) {
      logWarn("SIGHUP: configuration reload is not available in this version; ignored");
      continue;
    }
    if (!draining) {
      draining = true;
      logInfo(std::string(strsignal(sig)) + ": draining, open connections have up to " +
              formatDuration(snapshot->global.drainTimeout) + " to finish");
      for (auto& worker : workers)
        worker->drain();
    } else {
      logInfo(std::string(strsignal(sig)) + " again: closing open connections now");
      for (auto& worker : workers)
        worker->closeNow();
    }
  }
  for (auto& thread : threads)
    thread.join();
  const HealthCounters& health = HealthCounters::process();
  logInfo("stopped; totals: " + summariseCounters(workers) +
          " servers_down=" + std::to_string(health.wentDown.load()) +
          " servers_up=" + std::to_string(health.cameUp.load()) +
          " ejections=" + std::to_string(health.ejections.load()));
  return 0;
}

}  // namespace sluice
