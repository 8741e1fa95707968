#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/pipe_pool.h"
#include "http/proxy/http2_upstream.h"
#include "http/proxy/upstream_pool.h"
#include "net/socket.h"
#include "server/access_log.h"
#include "server/session.h"
#include "server/worker_config.h"
#include "tls/backend_session_cache.h"
#include "tls/transport.h"

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
class Worker {
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

  unsigned id() const { return id_; }
  EventLoop& loop() { return loop_; }
  PipePool& pipes() { return pipes_; }
  BufferPool& buffers() { return buffers_; }
  // Space a session may read into and copy out of before it returns to the loop (never kept
  // across events): one per worker, so that idle connections need no buffer of their own.
  struct Scratch {
    char* data;
    size_t size;
  };
  Scratch scratch() { return {scratch_.get(), kScratchSize}; }
  UpstreamPool& upstreamPool() { return upstreamPool_; }
  Http2Upstreams& http2Upstreams() { return http2Upstreams_; }
  BackendSessionCache& backendSessions() { return backendSessions_; }
  const AccessLog& accessLog() const { return accessLog_; }
  AccessLogLine& logLine() { return logLine_; }
  // The config new connections and requests get (the newest published).
  const std::shared_ptr<const WorkerConfig>& config() const { return config_; }
  // Connections draining because a reload removed what they serve.
  size_t drainingSessions() const { return drainingSessions_.load(std::memory_order_relaxed); }

  // Starts the HTTP proxy on a client connection. With `peeked` (a mixed listener's
  // ClientHello, `length` bytes already read), the socket is registered with the loop already.
  void startHttpSession(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                        UniqueFd client, const SocketAddress& peer, BufferPool::Buffer peeked = {},
                        size_t length = 0);

  // Continues a client connection that chose HTTP/2 (ALPN after its TLS handshake, or an h2c
  // preface in `alreadyRead`). The socket is registered with the loop already; `peeked` is a
  // mixed listener's ClientHello, which the TLS engine may still hold.
  void startHttp2Session(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                         UniqueFd client, const SocketAddress& peer,
                         std::unique_ptr<Transport> transport, BufferPool::Buffer peeked,
                         TimePoint acceptedAt, std::string_view alreadyRead = {});

  // Logs that real traffic just ejected `server` (passive health; the group counted it).
  void reportEjection(const ServerGroupConfig& group, uint32_t server, std::string_view why);
  // A connect failed for want of Sluice's own resources (isLocalResourceError()): warns, at
  // most once a second, with how many failed since the last warning.
  void noteResourceShortage(int error);

  // Called by a session when it ends; the session is destroyed after the current batch.
  void sessionClosed(Session* session);

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

  unsigned id_;
  EventLoop loop_;
  PipePool pipes_;
  BufferPool buffers_;
  static constexpr size_t kScratchSize = 16 * 1024;
  std::unique_ptr<char[]> scratch_ = std::make_unique<char[]>(kScratchSize);
  UpstreamPool upstreamPool_;
  Http2Upstreams http2Upstreams_{*this};
  BackendSessionCache backendSessions_;
  const AccessLog& accessLog_;
  AccessLogLine logLine_;
  std::shared_ptr<const WorkerConfig> config_;
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
