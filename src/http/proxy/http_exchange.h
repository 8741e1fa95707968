#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "balance/server_mask.h"
#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "http/http1/body_framer.h"
#include "http/http1/response_parser.h"
#include "http/http2/http2_field_list.h"
#include "http/http_request_head.h"
#include "http/local_answer.h"
#include "http/proxy/exchange_client.h"
#include "http/proxy/http2_upstream.h"
#include "http/proxy/upstream_pool.h"
#include "metrics/component_counters.h"
#include "net/address.h"
#include "rules/rule.h"
#include "tls/transport.h"
#include "worker/worker_config.h"

namespace sluice {

struct HttpWorkerState;
class WorkerServices;

// One request and its response, whatever codec the client speaks: the same phases for an
// HTTP/1 request and an HTTP/2 stream.
//
//   start(head)
//     → redirect_https? answer 301/308
//     → rules: deny / redirect / respond answer; route picks the group; header changes
//       accumulate
//     → pick a server (sticky cookie, hashing, health), connect (a kept or pooled connection
//       first; refused → next server; none up → 503; all full → queue)
//       [https groups: TLS handshake, the server's certificate verified, or the next server]
//     → send the head, then the body the client codec frames into toServer() ──┐ at once,
//     → read the response head (server_response → 504; a reset before it: safe requests go
//       to another server), then its body, de-framed and framed again for the client's codec
//     → complete: access log; the server connection is kept for the client's next request
//       (HTTP/1 keep-alive, same server) or goes to the worker's pool
//   101 Switching Protocols: from then on a byte relay both ways.
//
// advance() does every server-side step that can make progress now; the client codec calls it
// from its own progress loop, and the exchange wakes the codec (ExchangeClient::wake()) when
// its server socket reports something. The codec owns the timer: it asks deadline() and calls
// onDeadline() when it passes. An exchange object is reused for request after request on an
// HTTP/1 connection (next()), so its strings and vectors keep their capacity.
class HttpExchange {
 public:
  // kReadingHead: no request yet (between requests); kSendingBody: the head is out (or queued)
  // and the body is still arriving; kSent: the whole request has arrived; kAnswered: the
  // response is complete, or Sluice answered the request itself.
  enum class Phase { kReadingHead, kSendingBody, kSent, kAnswered };
  enum class Deadline { kConnect, kBody, kResponse, kIdle };
  // Bytes one side may have waiting to be sent before the other side stops being read.
  static constexpr size_t kMaxPending = 256 * 1024;

  HttpExchange(WorkerServices& worker, HttpWorkerState& http, ExchangeClient& client,
               const SocketAddress& peer);
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  // The client connection's transport, for its SNI and the TLS fields of the access log.
  void setClientTransport(const Transport* transport) { clientTransport_ = transport; }
  // The protocol the client speaks, for the access log ("HTTP/1.1", "HTTP/2"); a literal.
  void setProtocol(std::string_view protocol) { protocol_ = protocol; }
  // The config and VIP the next request is served by. Between requests only.
  void useConfig(const WorkerConfig& config, const VipConfig& vip);

  // When the current request's first byte came (for its log, its queueing and its retries).
  void setRequestStart(TimePoint at) { requestStart_ = at; }
  // A request head arrived: run its phases up to the connect. The head is read only here.
  void start(const HttpRequestHead& head);
  // The request body's bytes go here, framed for the server by the client codec.
  std::string& toServer() { return toServer_; }
  size_t serverBacklog() const { return toServer_.size() - toServerSent_; }
  // After start(): the body goes to the server as it is, not framed for HTTP/1.1 (the server
  // speaks HTTP/2, server_groups[].http2).
  bool rawRequestBody() const { return serverHttp2_; }
  // A trailer field of the request, one the client codec may forward, before
  // requestComplete(): kept for an HTTP/2 server (an HTTP/1.1 one finds them after the last
  // chunk, where the codec framed them).
  void addRequestTrailer(std::string_view name, std::string_view value);
  // Every byte of the request (head and body) has arrived.
  void requestComplete();
  void addRequestBytes(size_t n) { requestBytes_ += n; }
  uint64_t requestBytes() const { return requestBytes_; }
  // An upgraded relay's client finished sending: the server gets a half-close once it has
  // what came before.
  void clientFinishedSending();

  bool advance();
  // Sluice's own error answer, or an end of the client side when the response had begun.
  void respondError(int status, std::string_view reason);

  // Between HTTP/1 requests: ready for the next one.
  void next();
  // The client connection ends: a request in flight is abandoned with its server connection.
  void close();
  // An operator closes the connections to `server`: true when this exchange's request is in
  // flight to it (the client must end).
  bool closeIfUsing(const ServerHealth& server);
  // A relay whose VIP or server a new config no longer has.
  bool relayTargetGoneIn(const WorkerConfig& newest, const VipConfig* successor) const;

  Phase phase() const { return phase_; }
  bool inFlight() const { return phase_ == Phase::kSendingBody || phase_ == Phase::kSent; }
  bool upgraded() const { return upgraded_; }
  int status() const { return status_; }
  TimePoint lastActivity() const { return lastActivity_; }
  // The exchange's own deadline while a request is in flight, given when the client last sent a
  // byte; onDeadline() acts on it (a 504, a 408, the next server, or the end of the client).
  std::pair<TimePoint, Deadline> deadline(TimePoint lastClientByte, TimePoint clientActivity) const;
  void onDeadline(Deadline what);
  // Writes the access-log record and counts the answer.
  void logRequest(int status, std::string_view end);
  // Watches the server socket for writability once a write had to wait for it.
  bool watchWritableWhenWaiting();

 private:
  struct ServerEndpoint final : IoHandler {
    explicit ServerEndpoint(HttpExchange& e) : exchange(e) {}
    void onIo(uint32_t events) override { exchange.onServerIo(events); }
    HttpExchange& exchange;
  };
  enum class Upstream { kNone, kConnecting, kHandshaking, kConnected };
  // The exchange's stream on a shared HTTP/2 server connection (http_exchange_http2.cc).
  struct Http2Endpoint final : Http2UpstreamUser {
    explicit Http2Endpoint(HttpExchange& e) : exchange(e) {}
    void upstreamReady() override { exchange.onHttp2Ready(); }
    void upstreamFailed(std::string_view why) override { exchange.onHttp2ConnectFailed(why); }
    void responseField(std::string_view name, std::string_view value) override {
      exchange.onHttp2Field(name, value);
    }
    void responseFieldsEnd(bool endStream) override { exchange.onHttp2FieldsEnd(endStream); }
    void responseData(const uint8_t* data, size_t length) override {
      exchange.onHttp2Data(data, length);
    }
    void responseEnded() override { exchange.onHttp2ResponseEnd(); }
    void streamFailed(std::string_view why, bool refused) override {
      exchange.onHttp2StreamFailed(why, refused);
    }
    ssize_t requestBody(uint8_t* buffer, size_t length, uint32_t* flags) override {
      return exchange.readHttp2RequestBody(buffer, length, flags);
    }
    HttpExchange& exchange;
  };

  void onServerIo(uint32_t events);
  void redirectToHttps();
  bool applyRules(const HttpRequestHead& head);
  void answerLocally(const LocalAnswer& answer, std::string_view end);
  void useGroup(ServerGroup* group);
  void prepareAffinity(const HttpRequestHead& head);
  uint32_t pickServer();
  void connectNext(uint32_t chosen = ServerGroup::kNone);
  bool openConnection();
  void buildUpstreamKey();
  void expectResponse();
  bool checkConnected();
  bool handshakeUpstream();
  bool shortOfResources(int error);
  void noteConnectFailure(std::string_view why);
  void noteServerFailure(std::string_view why);
  bool retryableElsewhere() const;
  bool writeUpstream();
  void shutdownServerWrite();
  bool readUpstream();
  void parseResponse();
  void onResponseComplete();
  void keepServerSession();
  void onUpstreamClosed(bool cleanEof);
  void releaseUpstream(bool reusable);
  void useResponseHead(const HttpResponseHead& head);

  // The server side over HTTP/2 (http_exchange_http2.cc).
  bool connectHttp2();
  void submitHttp2();
  bool advanceHttp2();
  void onHttp2Ready();
  void onHttp2ConnectFailed(std::string_view why);
  void onHttp2Field(std::string_view name, std::string_view value);
  void onHttp2FieldsEnd(bool endStream);
  void onHttp2Data(const uint8_t* data, size_t length);
  void onHttp2ResponseEnd();
  void onHttp2StreamFailed(std::string_view why, bool refused);
  ssize_t readHttp2RequestBody(uint8_t* buffer, size_t length, uint32_t* flags);
  void endHttp2RequestBody(uint32_t* flags);
  void releaseHttp2();

  WorkerServices& worker_;
  HttpWorkerState& http_;  // the worker's server connections and TLS sessions
  ExchangeClient& client_;
  const SocketAddress& peer_;
  std::string_view peerIp();
  std::string_view peerText();  // ip:port, for the access log
  std::string peerIp_, peerText_;
  const Transport* clientTransport_ = nullptr;
  std::string_view protocol_ = "HTTP/1.1";
  const WorkerConfig* config_ = nullptr;
  const VipConfig* vip_ = nullptr;
  VipCounters* counters_ = nullptr;
  ServerGroup* defaultGroup_ = nullptr;
  ServerGroup* group_ = nullptr;  // the current request's: the default, or a rule's route
  ServerEndpoint serverEndpoint_{*this};

  // The request.
  Phase phase_ = Phase::kReadingHead;
  bool requestHasBody_ = false;
  bool headRequest_ = false;     // the request's method is HEAD
  bool requestUpgrade_ = false;  // a WebSocket upgrade
  bool clientDoneSending_ = false;

  // Sluice → server.
  Upstream upstream_ = Upstream::kNone;
  UpstreamConnection server_;
  std::string upstreamKey_;  // the pool and TLS session cache key of the chosen server
  std::string upstreamSni_;  // protocol: https: the SNI sent and the name verified
  std::string upstreamVerifyName_;
  bool serverFromPool_ = false;
  bool serverReadable_ = false;
  bool serverEvent_ = false;            // the server socket reported something while connecting
  bool serverWatchesWritable_ = false;  // EPOLLOUT is in the server socket's watch
  uint32_t serverIndex_ = ServerGroup::kNone;
  ServerMask tried_{0};
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
  std::string* toClient_ = nullptr;  // the client codec's sink for the body
  bool expectingResponse_ = false;   // a request is out and its response is being read
  bool responseHeadSeen_ = false;    // the final (non-1xx) response head has arrived
  bool responseStarted_ = false;     // some of the response reached the client
  bool upgraded_ = false;            // 101: a byte relay from now on

  // Layer 7: what the rules see and decided, and where the request's affinity points.
  RequestFacts facts_;
  RuleDecision decision_;
  std::string affinityKey_;                     // path (uri_hash) or header value (header_hash)
  uint32_t stickyServer_ = ServerGroup::kNone;  // the server the client's cookie names
  bool stickyReseal_ = false;  // its cookie is good, but under an older key or half expired
  std::string stickyLine_;     // a Set-Cookie to add to the response, or empty
  std::string location_;       // a redirect's target

  // For the access log.
  std::string method_, host_, path_;
  int status_ = 0;
  uint64_t requestBytes_ = 0;
  uint64_t responseBytes_ = 0;
  TimePoint requestStart_;
  TimePoint responseHeadAt_;
  TimePoint requestSent_;
  TimePoint connectStarted_;
  TimePoint lastActivity_;  // of the server side
  Timer queued_;            // waiting for a server under max_connections

  // Sluice → server over HTTP/2: a stream on a connection the worker's exchanges share. Its
  // state is made for the first request that needs it: an exchange to HTTP/1.1 servers (most)
  // carries none of it.
  struct Http2Side {
    Http2Side(HttpExchange& exchange, TimerQueue& timers)
        : endpoint(exchange), wakeSoon(timers, [&exchange] { exchange.client_.wake(); }) {}
    Http2Endpoint endpoint;
    int32_t stream = 0;
    Http2FieldList request;  // the request's HEADERS, built once for every attempt
    Http2FieldList requestTrailers;
    bool bodyDeferred = false;  // the data provider waits for more request body
    uint64_t bodySent = 0;      // request body bytes given to this attempt's stream
    size_t unconsumed = 0;      // response bytes whose window is not given back yet
    // The response's fields as they arrive: a head, then maybe trailers.
    std::string fieldBytes;
    std::vector<std::pair<uint32_t, uint32_t>> fieldSpans;  // name and value lengths
    size_t fieldCount = 0;
    HttpResponseHead head;
    std::vector<HttpHeader> trailers;
    BodyFramer framer;  // frames the response body for the client's codec
    Timer wakeSoon;     // the client codec's turn after the server took request body
  };
  bool serverHttp2_ = false;        // the request goes to its server over HTTP/2
  Http2Upstream* http2_ = nullptr;  // the connection, while the exchange uses it
  std::unique_ptr<Http2Side> h2_;
};

}  // namespace sluice
