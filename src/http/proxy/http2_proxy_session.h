#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "metrics/component_counters.h"
#include "net/address.h"
#include "net/socket.h"
#include "tls/transport.h"
#include "worker/session.h"
#include "worker/worker_config.h"

namespace sluice {

struct HttpWorkerState;
class WorkerServices;
class Http2Stream;

// One client connection speaking HTTP/2 (ALPN h2 after the TLS handshake, which
// HttpProxySession did before handing the connection over): one nghttp2 server session, and a
// Http2Stream per request, each an HttpExchange of its own to a server from the worker's pools.
//
//   read the socket → nghttp2_session_mem_recv (fields, DATA, resets: callbacks below)
//     → each stream whose head is complete is dispatched, up to the dispatch cap
//     → every stream's server-side steps (HttpExchange::advance())
//     → nghttp2_session_mem_send, bounded by what the client has not taken yet → write
//
// Defences, beyond nghttp2's own (the rapid-reset and CONTINUATION limits Debian backported):
// - a glitch budget: frames that cost work without carrying a request (SETTINGS, PING,
//   PRIORITY, WINDOW_UPDATE, empty DATA, resets of unfinished streams, frames nghttp2 refuses
//   as stream errors, requests past the header list limit) each add one; a tenth of
//   http2.max_glitches is forgiven per second; past the budget the connection gets GOAWAY
//   ENHANCE_YOUR_CALM and closes once it is sent;
// - a dispatch cap: streams start exchanges (rules, servers) only up to a cap that begins at
//   kInitialDispatchCap, grows by one per stream that completes cleanly and halves when the
//   client resets one in flight, so a client that resets what it asks for never makes servers
//   work for more than a few streams at a time;
// - a decoded header list past twice http2.max_header_list (an HPACK bomb) ends the connection.
class Http2ProxySession final : public Session {
 public:
  static constexpr uint32_t kInitialDispatchCap = 16;

  Http2ProxySession(WorkerServices& worker, HttpWorkerState& http,
                    std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                    UniqueFd client, const SocketAddress& peer,
                    std::unique_ptr<Transport> transport, BufferPool::Buffer peeked,
                    TimePoint acceptedAt);
  ~Http2ProxySession() override;

  // The client socket is registered with the loop already (by the session that handed it
  // over): rebind it, and feed `alreadyRead` (an h2c preface read as HTTP/1) first.
  void start(std::string_view alreadyRead);
  void abort(std::string_view reason) override { finish(reason); }
  bool configPublished(const std::shared_ptr<const WorkerConfig>& newest) override;
  void drain() override;
  bool closeIfUsing(const ServerHealth& server) override;

  // For streams.
  WorkerServices& worker() { return worker_; }
  HttpWorkerState& http() { return http_; }
  nghttp2_session* h2() { return h2_; }
  const SocketAddress& peer() const { return peer_; }
  const Transport& transport() const { return *transport_; }
  VipCounters& counters() { return *counters_; }
  void progress();
  // A stream's server socket reported something: progress once after the loop's current batch
  // of events, so that the responses of every stream woken in it go out in one write.
  void progressSoon();
  void glitch(std::string_view what, unsigned weight = 1);
  // The last host checked for 421 on this connection, and the verdict: a client sends the same
  // host on every stream, so the check (names normalised, certificates looked up) runs once.
  struct AuthorityVerdict {
    std::shared_ptr<const WorkerConfig>
        config;  // keeps `vip` alive, so no other VIP has its address
    const VipConfig* vip = nullptr;
    std::string authority;
    bool misdirected = false;
  };
  AuthorityVerdict& lastAuthority() { return lastAuthority_; }

 private:
  struct ClientEndpoint final : IoHandler {
    explicit ClientEndpoint(Http2ProxySession& s) : session(s) {}
    void onIo(uint32_t events) override { session.onClientIo(events); }
    Http2ProxySession& session;
  };

  void onClientIo(uint32_t events);
  bool readClient();
  void lingerThenClose();
  void discard();
  void feed(const char* data, size_t length);
  void refuseConnection(int error);
  void dispatchReady();
  bool flush();
  bool writeClient();
  void sweep();
  void calm(std::string_view why);
  void goAway(std::string_view end);
  void freeSparesIfIdle();
  TimePoint deadline() const;
  void armTimer();
  void onTimer();
  void finish(std::string_view end);
  Http2Stream* stream(int32_t id);

  // nghttp2's callbacks; `user` is the session.
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t nameLength, const uint8_t* value, size_t valueLength, uint8_t flags,
                      void* user);
  static int onFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onBeginFrame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user);
  static int onDataChunk(nghttp2_session*, uint8_t flags, int32_t id, const uint8_t* data,
                         size_t length, void* user);
  static int onStreamClose(nghttp2_session*, int32_t id, uint32_t errorCode, void* user);
  static int onInvalidFrame(nghttp2_session*, const nghttp2_frame* frame, int error, void* user);
  static int onFrameSent(nghttp2_session*, const nghttp2_frame* frame, void* user);
  // One table for every connection, made once.
  static nghttp2_session_callbacks* callbacks();

  WorkerServices& worker_;
  HttpWorkerState& http_;
  std::shared_ptr<const WorkerConfig> config_;  // new streams get it
  const VipConfig* vip_;
  VipCounters* counters_;
  UniqueFd client_;
  SocketAddress peer_;
  ClientEndpoint clientEndpoint_{*this};
  std::unique_ptr<Transport> transport_;
  BufferPool::Buffer peeked_;  // a mixed listener's ClientHello, until the TLS engine is done
  nghttp2_session* h2_ = nullptr;
  bool closed_ = false;
  bool clientReadable_ = true;
  bool clientEof_ = false;
  bool clientWatchesWritable_ = false;
  bool goingAway_ = false;  // GOAWAY queued: close once it is sent
  bool fatal_ = false;      // nghttp2 refused the connection's input
  bool calming_ = false;    // GOAWAY ENHANCE_YOUR_CALM queued: nothing more is read
  bool lingering_ = false;  // half-closed after the last frame: reading until the client goes
  TimePoint lingerUntil_;
  std::string_view goingAwayEnd_;

  std::unordered_map<int32_t, std::unique_ptr<Http2Stream>> streams_;
  std::deque<int32_t> waiting_;                      // heads complete, not yet dispatched (the cap)
  std::vector<std::unique_ptr<Http2Stream>> ended_;  // freed (or kept) after the current pass
  // Finished stream objects kept for the next streams: nothing refers to a closed stream any
  // more (its server socket's events reach no one, nghttp2 has forgotten it), and reusing one
  // saves the dozens of allocations a new stream's strings and vectors cost.
  std::vector<std::unique_ptr<Http2Stream>> spare_;
  static constexpr size_t kSpareStreams = 16;
  static constexpr size_t kSpareBytes = 64 * 1024;
  uint32_t inFlight_ = 0;  // dispatched streams whose response is not complete
  uint32_t dispatchCap_ = kInitialDispatchCap;

  double glitches_ = 0;
  TimePoint glitchesAt_;
  AuthorityVerdict lastAuthority_;

  std::string toClient_;
  size_t toClientSent_ = 0;

  const TimePoint acceptedAt_;
  TimePoint lastActivity_;
  TimePoint armedAt_;
  Timer timer_;
  Timer resume_;
  Timer trimSpares_;  // frees the spare streams of a connection idle for kSpareLinger
  bool inProgress_ = false;
};

}  // namespace sluice
