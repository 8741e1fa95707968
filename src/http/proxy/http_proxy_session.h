#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "balance/server_mask.h"
#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "http/http1/request_parser.h"
#include "http/http1/response_parser.h"
#include "http/proxy/client_response.h"
#include "http/proxy/upstream_pool.h"
#include "metrics/component_counters.h"
#include "net/address.h"
#include "net/socket.h"
#include "rules/rule.h"
#include "server/session.h"
#include "server/worker_config.h"
#include "tls/transport.h"

namespace sluice {

class Worker;

// One client connection on an `http`, `https-offload` or `https-bridge` VIP, and the requests it
// carries, one after another (keep-alive). The phases of each request:
//
//   [TLS handshake] → read head (client_header timeout → 408; limits → 431/413; bad → 400)
//     → redirect_https? answer 301/308 and close
//     → rules: deny / redirect / respond answer and close; route picks the group; header
//       changes accumulate
//     → pick a server per request (sticky cookie, hashing, health), connect (the kept or a
//       pooled connection first; refused → next server; none up → 503; all full → queue)
//       [https groups: TLS handshake, the server's certificate verified, or the next server]
//     → send head + stream body ──────────┐  both at once, each with backpressure
//     → read response head (server_response timeout → 504; a reset before it: safe requests
//       go to another server) → stream body to the client
//     → response complete: access log; the server connection stays with the client for its
//       next request if that goes to the same server (else, and when the client leaves, it
//       goes to the worker's pool)
//   101 Switching Protocols: from then on a byte relay both ways.
//
// progress() is the one driver: on every event of either socket it does, in order, every step
// that can make progress now (read the client, parse, write the server, read the server,
// parse, write the client), so that edge-triggered readiness is never lost and TLS's
// read-needs-write cases need no tracking. Bodies are streamed through bounded buffers: the
// proxy stops reading one side while the other has `kMaxPending` bytes unsent.
class HttpProxySession final : public Session {
 public:
  HttpProxySession(Worker& worker, std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                   UniqueFd client, const SocketAddress& peer);
  // On a mixed listener, the client socket comes already registered with the loop and its
  // ClientHello already read while choosing the mode: `peeked.data[0, length)` goes to the
  // TLS engine before anything read from the socket. Call before start().
  void adoptPeeked(BufferPool::Buffer peeked, size_t length);
  ~HttpProxySession() override;

  void start();
  void abort(std::string_view reason) override { finish(reason); }
  bool configPublished(const std::shared_ptr<const WorkerConfig>& newest) override;
  bool closeIfUsing(const ServerHealth& server) override;

 private:
  struct Endpoint final : IoHandler {
    Endpoint(HttpProxySession& s, bool client) : session(s), isClient(client) {}
    void onIo(uint32_t events) override { session.onIo(isClient, events); }
    HttpProxySession& session;
    bool isClient;
  };
  enum class Request { kReadingHead, kSendingBody, kSent, kAnswered };
  enum class Upstream { kNone, kConnecting, kHandshaking, kConnected };

  // Notes which socket reported what, then progress().
  void onIo(bool fromClient, uint32_t events);
  void progress();
  bool readClient();
  void parseRequest();
  void onRequestHead();
  void redirectToHttps();
  bool applyRules();
  void answerLocally(std::string_view response, int status, std::string_view end);
  void useGroup(ServerGroup* group);
  void prepareAffinity(const HttpRequestHead& head);
  uint32_t pickServer();
  void connectNext(uint32_t chosen = ServerGroup::kNone);
  void expectResponse();
  bool checkConnected();
  bool handshakeUpstream();
  bool openConnection();
  void noteConnectFailure(std::string_view why);
  void noteServerFailure(std::string_view why);
  bool retryableElsewhere() const;
  void buildUpstreamKey();
  void keepServerSession();
  void shutdownServerWrite();
  bool writeUpstream();
  bool readUpstream();
  void parseResponse();
  void onResponseHead();
  void onResponseComplete();
  void onUpstreamClosed(bool cleanEof);
  bool writeClient();
  void watchWritableWhenWaiting();
  void respondError(int status, std::string_view reason);
  void releaseUpstream(bool reusable);
  bool serverConnectionIdle() const;
  bool checkIdleServer();
  void logRequest(int status, std::string_view end);
  void logHandshakeFailure(std::string_view end);
  void startNextRequest();
  void countHandshake();
  bool betweenRequests() const;
  void follow(std::shared_ptr<const WorkerConfig> newest, const VipConfig& vip);
  // The one deadline that matters in the current phase, and what passing it means.
  enum class Deadline { kHandshake, kHeader, kKeepAlive, kConnect, kBody, kResponse, kIdle };
  std::pair<TimePoint, Deadline> currentDeadline() const;
  void armTimer();
  void onTimer();
  void finish(std::string_view end);

  Worker& worker_;
  std::shared_ptr<const WorkerConfig> config_;
  const VipConfig* vip_;   // of config_
  VipCounters* counters_;  // this worker's, of the VIP
  ServerGroup* defaultGroup_;
  ServerGroup* group_;  // the current request's: the default, or a rule's route
  UniqueFd client_;
  SocketAddress peer_;
  uint16_t vipPort_;
  Endpoint clientEndpoint_{*this, true};
  Endpoint serverEndpoint_{*this, false};
  std::unique_ptr<Transport> transport_;
  BufferPool::Buffer peeked_;  // a mixed listener's ClientHello, for the TLS engine
  size_t peekedLength_ = 0;
  bool registered_ = false;  // the client socket is in the loop already (adoptPeeked())
  bool handshakeDone_ = false;
  bool closed_ = false;
  // Readiness reported since the last read that found nothing (edge-triggered epoll says it
  // once): a read is only tried when it can succeed, which saves a syscall per step.
  bool clientReadable_ = true;
  bool serverReadable_ = false;
  bool serverIdleReusable_ = false;     // attached between requests, at a message boundary
  bool serverEvent_ = false;            // the server socket reported something while connecting
  bool clientWatchesWritable_ = false;  // EPOLLOUT is in the client socket's watch
  bool serverWatchesWritable_ = false;  // and in the server socket's

  // Client → Sluice. Bytes [inStart_, inEnd_) are received and not yet parsed.
  BufferPool::Buffer in_;
  size_t inStart_ = 0;
  size_t inEnd_ = 0;
  bool clientEof_ = false;
  Http1RequestParser parser_;
  Request request_ = Request::kReadingHead;
  bool requestHasBody_ = false;
  bool clientKeepAlive_ = false;
  bool clientHttp10_ = false;
  bool headHeadRequest_ = false;  // the request's method is HEAD
  bool requestUpgrade_ = false;   // a WebSocket upgrade: the next bytes wait for the answer

  // Sluice → server.
  Upstream upstream_ = Upstream::kNone;
  UpstreamConnection server_;
  std::string upstreamKey_;  // the pool and TLS session cache key of the chosen server
  std::string upstreamSni_;  // protocol: https: the SNI sent and the name verified
  std::string upstreamVerifyName_;
  bool serverFromPool_ = false;
  uint32_t serverIndex_ = ServerGroup::kNone;
  ServerMask tried_;
  uint32_t attempts_ = 0;
  std::string lastConnectError_;  // why the last server could not be used, for the log
  std::string upstreamHead_;      // kept to resend once if a pooled connection was stale
  std::string toServer_;
  size_t toServerSent_ = 0;

  // Server → Sluice. Bytes [upStart_, upEnd_) are received and not yet parsed.
  BufferPool::Buffer up_;
  size_t upStart_ = 0;
  size_t upEnd_ = 0;
  Http1ResponseParser response_;
  bool expectingResponse_ = false;  // a request is out and its response is being read
  bool responseHeadSeen_ = false;   // the final (non-1xx) response head has arrived
  bool responseStarted_ = false;    // some of the response reached the client
  bool closeAfterResponse_ = false;
  bool vipRemoved_ = false;  // a reload removed the VIP: close after the current response
  bool upgraded_ = false;    // 101: a byte relay from now on

  // Sluice → client.
  std::string toClient_;
  size_t toClientSent_ = 0;
  bool closeWhenFlushed_ = false;

  // Layer 7: what the rules see and decided, and where the request's affinity points
  // (capacity reused between requests).
  RequestFacts facts_;
  RuleDecision decision_;
  std::string affinityKey_;                     // path (uri_hash) or header value (header_hash)
  uint32_t stickyServer_ = ServerGroup::kNone;  // the server the client's cookie names
  std::string stickyLine_;                      // a Set-Cookie to add to the response, or empty

  // The current request, for the access log (capacity reused between requests).
  std::string method_, host_, path_;
  int status_ = 0;
  uint64_t requestBytes_ = 0;
  uint64_t responseBytes_ = 0;
  TimePoint requestStart_;
  const TimePoint acceptedAt_;
  bool firstRequest_ = true;  // no request has completed on this connection yet
  TimePoint responseHeadAt_;
  TimePoint requestSent_;
  TimePoint connectStarted_;
  TimePoint lastActivity_;
  TimePoint lastClientByte_;  // for timeouts.client_body
  TimePoint armedAt_;
  Timer timer_;
  Timer resume_;  // progress() ran out of rounds with work left: continue after this batch
  Timer queued_;  // waiting for a server under max_connections
};

}  // namespace sluice
