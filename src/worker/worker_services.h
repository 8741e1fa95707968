#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "config/config.h"
#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/pipe_pool.h"
#include "net/address.h"
#include "net/socket.h"
#include "tls/transport.h"
#include "worker/access_log.h"
#include "worker/session.h"
#include "worker/worker_config.h"

namespace sluice {

// What a session may use of the worker it runs on, and nothing more: the worker's event loop
// and pooled buffers and pipes, its access log, the newest config, and the calls back to the
// worker (a session ended, a connection changes hands, something to report). A session never
// sees the Worker itself (server/), so the data path's rooms (l4/, http/) depend on this room
// only; per-worker HTTP state (server connection pools, HTTP/2 server connections, backend TLS
// sessions) is the worker's too, and passed to HTTP sessions as HttpWorkerState.
//
// The tools are plain members reached without a virtual call (a request reaches for the loop
// a dozen times); the calls back are virtual. Single-threaded: used on the worker's thread.
class WorkerServices {
 public:
  WorkerServices(const WorkerServices&) = delete;
  WorkerServices& operator=(const WorkerServices&) = delete;

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
  const AccessLog& accessLog() const { return accessLog_; }
  AccessLogLine& logLine() { return logLine_; }
  // The config new connections and requests get (the newest published).
  const std::shared_ptr<const WorkerConfig>& config() const { return config_; }

  // A session ended; it is destroyed after the loop's current batch.
  virtual void sessionClosed(Session* session) = 0;

  // Hand-offs, each to the next protocol's session. The HTTP proxy on a client connection: with
  // `peeked` (a mixed listener's ClientHello, `length` bytes already read), the socket is
  // registered with the loop already.
  virtual void startHttpSession(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                                UniqueFd client, const SocketAddress& peer,
                                BufferPool::Buffer peeked = {}, size_t length = 0) = 0;
  // A client connection that chose HTTP/2 (ALPN after its TLS handshake, or an h2c preface in
  // `alreadyRead`). The socket is registered with the loop already; `peeked` is a mixed
  // listener's ClientHello, which the TLS engine may still hold.
  virtual void startHttp2Session(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                                 UniqueFd client, const SocketAddress& peer,
                                 std::unique_ptr<Transport> transport, BufferPool::Buffer peeked,
                                 TimePoint acceptedAt, std::string_view alreadyRead = {}) = 0;

  // Real traffic just ejected `server` (passive health; the group counted it): log it.
  virtual void reportEjection(const ServerGroupConfig& group, uint32_t server,
                              std::string_view why) = 0;
  // A connect failed for want of Sluice's own resources (isLocalResourceError()).
  virtual void noteResourceShortage(int error) = 0;

 protected:
  WorkerServices(unsigned id, size_t pipeSize, size_t maxIdlePipes, size_t maxIdleBuffers,
                 const AccessLog& accessLog)
      : id_(id), pipes_(pipeSize, maxIdlePipes), buffers_(maxIdleBuffers), accessLog_(accessLog) {}
  ~WorkerServices() = default;

  unsigned id_;
  EventLoop loop_;
  PipePool pipes_;
  BufferPool buffers_;
  static constexpr size_t kScratchSize = 16 * 1024;
  std::unique_ptr<char[]> scratch_ = std::make_unique<char[]>(kScratchSize);
  const AccessLog& accessLog_;
  AccessLogLine logLine_;
  std::shared_ptr<const WorkerConfig> config_;
};

}  // namespace sluice
