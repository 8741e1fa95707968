#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "http/http1/request_parser.h"
#include "http/proxy/exchange_client.h"
#include "http/proxy/http_exchange.h"
#include "metrics/component_counters.h"
#include "net/address.h"
#include "net/socket.h"
#include "tls/transport.h"
#include "worker/session.h"
#include "worker/worker_config.h"

namespace sluice {

struct HttpWorkerState;
class WorkerServices;

// One client connection on an `http`, `https-offload` or `https-bridge` VIP, speaking
// HTTP/1.x: the client-side codec. It reads requests one after another (keep-alive), hands
// each to its HttpExchange (http_exchange.h: rules, pick, the server, the access log), and
// frames what the exchange gives back for this client:
//
//   [TLS handshake] → read head (client_header timeout → 408; limits → 431/413; bad → 400)
//     → exchange.start(head) → the body, framed anew for the server, into exchange.toServer()
//     → the response head written in HTTP/1.1 (HTTP/1.0 clients get their own framing), the
//       body re-framed (chunked, a length, or the close)
//     → the next request on the same connection, the server connection kept for it
//   101 Switching Protocols: from then on a byte relay both ways.
//
// progress() is the one driver: on every event of either socket it does, in order, every step
// that can make progress now (read the client, parse, the exchange's server steps, write the
// client), so that edge-triggered readiness is never lost and TLS's read-needs-write cases need
// no tracking. Bodies are streamed through bounded buffers: the proxy stops reading one side
// while the other has HttpExchange::kMaxPending bytes unsent.
class HttpProxySession final : public Session, private ExchangeClient {
 public:
  HttpProxySession(WorkerServices& worker, HttpWorkerState& http,
                   std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                   UniqueFd client, const SocketAddress& peer);
  // On a mixed listener, the client socket comes already registered with the loop and its
  // ClientHello already read while choosing the mode: `peeked.data[0, length)` goes to the
  // TLS engine before anything read from the socket. Call before start().
  void adoptPeeked(BufferPool::Buffer peeked, size_t length);
  ~HttpProxySession() override;

  void start();
  bool sendTrailers(const std::vector<HttpHeader>&) override { return false; }
  void abort(std::string_view reason) override { finish(reason); }
  bool configPublished(const std::shared_ptr<const WorkerConfig>& newest) override;
  void drain() override;
  bool closeIfUsing(const ServerHealth& server) override;

 private:
  struct ClientEndpoint final : IoHandler {
    explicit ClientEndpoint(HttpProxySession& s) : session(s) {}
    void onIo(uint32_t events) override { session.onClientIo(events); }
    HttpProxySession& session;
  };

  void onClientIo(uint32_t events);
  void handOffToHttp2();
  void progress();
  bool readClient();
  void parseRequest();
  void onRequestHead();
  bool writeClient();
  void watchWritableWhenWaiting();
  void respondError(int status, std::string_view reason);
  void logHandshakeFailure(std::string_view end);
  void startNextRequest();
  void countHandshake();
  bool betweenRequests() const;
  void follow(std::shared_ptr<const WorkerConfig> newest, const VipConfig& vip);
  // The one deadline that matters in the current phase, and what passing it means; while a
  // request is in flight, the exchange's.
  enum class Deadline { kHandshake, kHeader, kKeepAlive, kExchange };
  struct Due {
    TimePoint at;
    Deadline what;
    HttpExchange::Deadline exchange = HttpExchange::Deadline::kIdle;
  };
  Due currentDeadline() const;
  void armTimer();
  void onTimer();
  void finish(std::string_view end);

  // ExchangeClient: the exchange's response, framed for this HTTP/1 client.
  size_t sendInterimHead(const HttpResponseHead& head, std::string_view hsts) override;
  ResponseBodySink sendResponseHead(const HttpResponseHead& head, ClientResponseContext& context,
                                    size_t& written) override;
  void responseComplete() override;
  void sendLocalAnswer(const LocalAnswer& answer) override;
  size_t responseBacklog() const override { return toClient_.size() - toClientSent_; }
  void closeWhenFlushed() override { closeWhenFlushed_ = true; }
  void wake() override { progress(); }

  WorkerServices& worker_;
  std::shared_ptr<const WorkerConfig> config_;
  const VipConfig* vip_;   // of config_
  VipCounters* counters_;  // this worker's, of the VIP
  UniqueFd client_;
  SocketAddress peer_;
  ClientEndpoint clientEndpoint_{*this};
  std::unique_ptr<Transport> transport_;
  BufferPool::Buffer peeked_;  // a mixed listener's ClientHello, for the TLS engine
  size_t peekedLength_ = 0;
  bool registered_ = false;  // the client socket is in the loop already (adoptPeeked())
  bool handshakeDone_ = false;
  bool closed_ = false;
  // Readiness reported since the last read that found nothing (edge-triggered epoll says it
  // once): a read is only tried when it can succeed, which saves a syscall per step.
  bool clientReadable_ = true;
  bool clientWatchesWritable_ = false;  // EPOLLOUT is in the client socket's watch

  // Client → Sluice. Bytes [inStart_, inEnd_) are received and not yet parsed.
  BufferPool::Buffer in_;
  size_t inStart_ = 0;
  size_t inEnd_ = 0;
  bool clientEof_ = false;
  Http1RequestParser parser_;
  bool clientKeepAlive_ = false;
  bool clientHttp10_ = false;
  bool headRequest_ = false;     // the request's method is HEAD
  bool requestUpgrade_ = false;  // a WebSocket upgrade: the next bytes wait for the answer
  bool closeAfterResponse_ = false;
  // A reload removed the VIP, or the worker is stopping: close after the current response.
  bool lastResponse_ = false;

  // The current request (one at a time on HTTP/1; the object is reused).
  HttpExchange exchange_;

  // Sluice → client.
  std::string toClient_;
  size_t toClientSent_ = 0;
  bool closeWhenFlushed_ = false;

  TimePoint requestStart_;
  const TimePoint acceptedAt_;
  bool firstRequest_ = true;  // no request has completed on this connection yet
  TimePoint lastActivity_;
  TimePoint lastClientByte_;  // for timeouts.client_body
  TimePoint armedAt_;
  Timer timer_;
  Timer resume_;  // progress() ran out of rounds with work left: continue after this batch
};

}  // namespace sluice
