#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "http/proxy/http_worker_state.h"
#include "worker/worker_services.h"

namespace sluice {

// A listening socket a worker accepts on, and the VIP (an index into the config's vips) it
// serves. The Runtime owns the socket: it outlives every config that listens on its address.
struct ListenSocket {
  size_t vipIndex = 0;
  int fd = -1;
};

// One data-plane thread: its own event loop, its own SO_REUSEPORT listening sockets, sessions,
// pipes and balancing state. Nothing on it is shared with another worker.
//
// Life: constructed on the control thread with the first config and its listening sockets;
// run() is the thread body; publish() (thread-safe) hands it a newer config; drain()
// (thread-safe) stops accepting and lets open sessions finish until the drain timeout, after
// which they are closed and run() returns.
class Worker final : public WorkerServices {
 public:
  Worker(unsigned id, std::shared_ptr<const WorkerConfig> config,
         const std::vector<ListenSocket>& listeners, const AccessLog& accessLog);
  ~Worker();

  void run();
  // Thread-safe. On the worker's next loop pass: new connections get `config`, the worker
  // accepts on exactly `listeners` (sockets it keeps are never touched), and every open session
  // is told (Session::configPublished()); those that must drain are closed if still open after
  // global.drain_timeout, spread over global.drain_spread. Then `done` runs, on the worker.
  void publish(std::shared_ptr<const WorkerConfig> config, std::vector<ListenSocket> listeners,
               std::function<void()> done);
  // Thread-safe: stops accepting (then `done` runs, on the worker: the listening sockets may
  // be closed) and lets open sessions finish until the drain timeout.
  void drain(std::function<void()> done = {});
  void closeNow();  // thread-safe: close every open session and stop
  // Thread-safe. On the worker's next loop pass: closes its connections to the server whose
  // state is `server` at `address` (Session::closeIfUsing(), and the idle pooled ones), then
  // `done` runs on the worker with how many client connections ended.
  void closeConnectionsTo(const ServerHealth* server, SocketAddress address,
                          std::function<void(size_t)> done);
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // The HTTP state its HTTP sessions share (pools, HTTP/2 server connections, TLS sessions).
  HttpWorkerState& http() { return http_; }
  // Connections draining because a reload removed what they serve.
  size_t drainingSessions() const { return drainingSessions_.load(std::memory_order_relaxed); }

  // WorkerServices.
  void sessionClosed(Session* session) override;
  void startHttpSession(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                        UniqueFd client, const SocketAddress& peer, BufferPool::Buffer peeked = {},
                        size_t length = 0) override;
  void startHttp2Session(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                         UniqueFd client, const SocketAddress& peer,
                         std::unique_ptr<Transport> transport, BufferPool::Buffer peeked,
                         TimePoint acceptedAt, std::string_view alreadyRead = {}) override;
  void reportEjection(const ServerGroupConfig& group, uint32_t server,
                      std::string_view why) override;
  // Warns at most once a second, with how many failed since the last warning.
  void noteResourceShortage(int error) override;

 private:
  class Listener;
  void onAccept(size_t vipIndex, UniqueFd client, const SocketAddress& peer);
  void track(Session* session);
  void adopt(std::shared_ptr<const WorkerConfig> config,
             const std::vector<ListenSocket>& listeners);
  void startDrain();
  void abortAll(std::string_view reason);
  void maybeStop();
  void sweepPool();

  HttpWorkerState http_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<Session*> sessions_;
  uint64_t maxSessions_;
  bool draining_ = false;
  std::unique_ptr<Timer> drainDeadline_;
  std::atomic<size_t> drainingSessions_{0};
  std::mt19937_64 random_;  // spreads drain deadlines
  TimePoint shortageWarnedAt_{};
  uint64_t shortagesUnwarned_ = 0;
  Timer poolSweep_;  // closes idle server connections that expired or were closed
  std::atomic<bool> finished_{false};
};

}  // namespace sluice
