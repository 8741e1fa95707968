#include "http/proxy/http_proxy_session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/local_answer.h"
#include "http/proxy/client_response.h"
#include "worker/worker_services.h"

namespace sluice {
namespace {

// Sockets are watched for reading only, and for writability once a write (or a TLS step)
// had to wait for it: an edge-triggered EPOLLOUT fires on every ACK that frees send space,
// a wake-up per response for nothing.
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;
constexpr uint32_t kAllEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
constexpr size_t kMaxPending = HttpExchange::kMaxPending;
// Progress rounds per event: enough to move everything a burst brings, bounded so that one
// busy connection cannot hold the worker.
constexpr int kMaxRounds = 64;

uint64_t millisBetween(TimePoint from, TimePoint to) {
  return to > from ? static_cast<uint64_t>(std::chrono::duration_cast<Millis>(to - from).count())
                   : 0;
}

}  // namespace

HttpProxySession::HttpProxySession(WorkerServices& worker, HttpWorkerState& http,
                                   std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                                   UniqueFd client, const SocketAddress& peer)
    : worker_(worker),
      config_(std::move(config)),
      vip_(&vip),
      counters_(&config_->vipCounters(vip)),
      client_(std::move(client)),
      peer_(peer),
      parser_(vip.request),
      exchange_(worker, http, *this, peer_),
      requestStart_(worker.loop().now()),
      acceptedAt_(requestStart_),
      lastActivity_(requestStart_),
      lastClientByte_(requestStart_),
      timer_(worker.loop().timers(), [this] { onTimer(); }),
      resume_(worker.loop().timers(), [this] { progress(); }) {
  exchange_.useConfig(*config_, vip);
  exchange_.setRequestStart(requestStart_);
  parser_.setBodyOutput(&exchange_.toServer());
}

HttpProxySession::~HttpProxySession() {
  worker_.buffers().release(std::move(peeked_));  // the TLS engine never reads it again
  worker_.buffers().release(std::move(in_));
}

void HttpProxySession::adoptPeeked(BufferPool::Buffer peeked, size_t length) {
  peeked_ = std::move(peeked);
  peekedLength_ = length;
  registered_ = true;
}

void HttpProxySession::start() {
  if (vip_->terminatesTls()) {
    SSL* ssl = vip_->tls->newSession();
    if (!ssl) {
      finish("internal_error");
      return;
    }
    transport_ =
        peeked_.data
            ? std::make_unique<Transport>(client_.get(), ssl, peeked_.data.get(), peekedLength_)
            : std::make_unique<Transport>(client_.get(), ssl, Transport::Role::kAccept);
  } else {
    transport_ = std::make_unique<Transport>(client_.get());
  }
  exchange_.setClientTransport(transport_.get());
  const bool added = registered_
                         ? worker_.loop().rebind(client_.get(), kReadEvents, &clientEndpoint_)
                         : worker_.loop().add(client_.get(), kReadEvents, &clientEndpoint_);
  if (!added) {
    finish("internal_error");
    return;
  }
  progress();
}

// The client chose HTTP/2: the connection, its socket still registered, goes to an
// Http2ProxySession, which logs it from now on. This session ends without a trace.
void HttpProxySession::handOffToHttp2() {
  closed_ = true;
  timer_.cancel();
  resume_.cancel();
  exchange_.close();
  // An h2c connection's first bytes were read here: the new session is fed them first.
  const std::string alreadyRead =
      in_.data ? std::string(in_.data.get() + inStart_, inEnd_ - inStart_) : std::string();
  worker_.startHttp2Session(config_, *vip_, std::move(client_), peer_, std::move(transport_),
                            std::move(peeked_), acceptedAt_, alreadyRead);
  peeked_ = {};
  worker_.sessionClosed(this);
}

void HttpProxySession::onClientIo(uint32_t events) {
  const bool readable = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  const bool peerClosed = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if (readable && transport_) transport_->socketReadable(peerClosed);
  // A TLS read may wait for writability; the transport says when it did.
  if (readable || (transport_ && (events & EPOLLOUT) && transport_->readWaitsForWritable())) {
    clientReadable_ = true;
  }
  progress();
}

// Once a socket had to wait for writability, it is watched for it from then on (switching the
// watch off again would cost a syscall per backpressure episode on long transfers).
void HttpProxySession::watchWritableWhenWaiting() {
  if (!clientWatchesWritable_ && transport_ && transport_->waitsForWritable()) {
    clientWatchesWritable_ = worker_.loop().rebind(client_.get(), kAllEvents, &clientEndpoint_);
    if (!clientWatchesWritable_) finish("internal_error");
  }
  if (!closed_ && !exchange_.watchWritableWhenWaiting()) finish("internal_error");
}

// Does every step that can be done now, in the order bytes flow, until nothing moves.
void HttpProxySession::progress() {
  if (closed_) return;
  if (!handshakeDone_) {
    handshakeDone_ = transport_->handshake();
    if (!handshakeDone_) {
      if (transport_->failed()) {
        counters_->tls(TlsOutcome::kFailed);
        logHandshakeFailure("tls_handshake_failed");
        finish("tls_handshake_failed");
      } else {
        watchWritableWhenWaiting();
        if (!closed_) armTimer();
      }
      return;
    }
    if (transport_->tls()) countHandshake();
    if (peeked_.data && transport_->peekedBytesConsumed()) {
      worker_.buffers().release(std::move(peeked_));
      peeked_ = {};
    }
    if (transport_->alpn() == "h2") {
      handOffToHttp2();
      return;
    }
  }
  bool moved = true;
  for (int round = 0; round < kMaxRounds && moved && !closed_; ++round) {
    moved = readClient();
    parseRequest();
    if (!closed_) moved |= exchange_.advance();
    if (!closed_) moved |= writeClient();
  }
  if (closed_) return;
  watchWritableWhenWaiting();
  if (closed_) return;
  if (moved) {
    // Out of rounds with work left: readiness was edge-reported and will not be reported
    // again, so come back right after the other connections of this batch have had a turn.
    resume_.armAt(worker_.loop().now());
  }
  if (closeWhenFlushed_ && toClientSent_ == toClient_.size()) {
    const int status = exchange_.status();
    finish(status >= 400 ? "answered_error" : "done");
    return;
  }
  if (clientEof_ && exchange_.phase() == HttpExchange::Phase::kReadingHead && inStart_ == inEnd_) {
    // The client ended its keep-alive connection between requests: close once what it is
    // owed has been sent.
    if (toClientSent_ == toClient_.size()) {
      finish("client_close");
      return;
    }
    closeWhenFlushed_ = true;
  }
  armTimer();
}

bool HttpProxySession::readClient() {
  if (clientEof_ || closeWhenFlushed_ || exchange_.serverBacklog() >= kMaxPending) return false;
  if (in_.data && inEnd_ == in_.size) return false;  // full: parsing or the server must catch up
  if (!clientReadable_) return false;
  // A connection waiting for its next request holds no buffer: the first read goes to the
  // worker's scratch space, and only bytes that arrived take a buffer from the pool. An idle
  // keep-alive connection thus costs its session and TLS state, nothing more.
  const bool firstRead = !in_.data;
  WorkerServices::Scratch scratch = worker_.scratch();
  char* into = firstRead ? scratch.data : in_.data.get() + inEnd_;
  const ssize_t n = transport_->read(into, firstRead ? scratch.size : in_.size - inEnd_);
  if (n == Transport::kAgain) {
    clientReadable_ = false;
    return false;
  }
  if (n == Transport::kFailed) {
    finish("client_error");
    return false;
  }
  lastActivity_ = worker_.loop().now();
  if (n == 0) {
    clientEof_ = true;
    if (exchange_.upgraded()) exchange_.clientFinishedSending();
    return true;
  }
  lastClientByte_ = lastActivity_;
  counters_->bytesIn.add(static_cast<uint64_t>(n));
  if (exchange_.phase() == HttpExchange::Phase::kReadingHead && inStart_ == inEnd_ &&
      inStart_ == 0) {
    requestStart_ = lastActivity_;  // the first byte of a new request
    exchange_.setRequestStart(requestStart_);
  }
  if (firstRead) {
    in_ = worker_.buffers().acquire(vip_->request.maxHeaderBytes + 16 * 1024);
    std::memcpy(in_.data.get(), scratch.data, static_cast<size_t>(n));
  }
  inEnd_ += static_cast<size_t>(n);
  return true;
}

void HttpProxySession::parseRequest() {
  if (exchange_.upgraded()) {
    exchange_.toServer().append(in_.data.get() + inStart_, inEnd_ - inStart_);
    inStart_ = inEnd_ = 0;
    return;
  }
  if (!in_.data) return;  // nothing received yet
  if (firstRequest_ && vip_->http2.h2c && inStart_ == 0 &&
      exchange_.phase() == HttpExchange::Phase::kReadingHead) {
    // HTTP/2 with prior knowledge (h2c) starts with its connection preface.
    constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const std::string_view received(in_.data.get(), std::min(inEnd_, kPreface.size()));
    if (kPreface.substr(0, received.size()) == received) {
      if (received.size() == kPreface.size()) handOffToHttp2();
      return;  // the rest of the preface is on its way
    }
  }
  for (;;) {
    const HttpExchange::Phase phase = exchange_.phase();
    if (closed_ || (phase != HttpExchange::Phase::kReadingHead &&
                    phase != HttpExchange::Phase::kSendingBody)) {
      return;
    }
    if (phase == HttpExchange::Phase::kSendingBody && exchange_.serverBacklog() >= kMaxPending) {
      return;  // backpressure: the server has not taken what it was sent
    }
    // Body bytes reach the exchange through the parser, framed anew (never as received).
    const auto result = parser_.feed(in_.data.get() + inStart_, inEnd_ - inStart_);
    inStart_ += result.consumed;
    exchange_.addRequestBytes(result.consumed);
    switch (result.event) {
      case Http1RequestParser::Event::kNeedMore:
        if (phase == HttpExchange::Phase::kSendingBody && inStart_ == inEnd_) inStart_ = inEnd_ = 0;
        if (clientEof_ && phase == HttpExchange::Phase::kSendingBody) finish("client_close");
        return;
      case Http1RequestParser::Event::kError:
        respondError(parser_.error().status, parser_.error().reason);
        return;
      case Http1RequestParser::Event::kHeadComplete:
        onRequestHead();
        if (exchange_.upgraded() || closed_) return;
        break;
      case Http1RequestParser::Event::kMessageComplete:
        for (const HttpHeader& field : parser_.trailers())
          exchange_.addRequestTrailer(field.name, field.value);
        exchange_.requestComplete();
        return;
    }
  }
}

void HttpProxySession::onRequestHead() {
  const HttpRequestHead& head = parser_.head();
  clientKeepAlive_ = head.keepAlive;
  clientHttp10_ = head.versionMinor == 0;
  headRequest_ = head.method == "HEAD";
  requestUpgrade_ = head.upgrade;
  exchange_.setProtocol(clientHttp10_ ? "HTTP/1.0" : "HTTP/1.1");
  exchange_.start(head);
  if (exchange_.rawRequestBody()) parser_.forwardBodyRaw();
}

size_t HttpProxySession::sendInterimHead(const HttpResponseHead& head, std::string_view hsts) {
  // An HTTP/1.0 client cannot take one (RFC 9110 §15.2).
  if (clientHttp10_) return 0;
  const size_t before = toClient_.size();
  ClientResponseContext interim;
  interim.hsts = hsts;
  writeClientResponseHead(head, interim, toClient_);
  return toClient_.size() - before;
}

ResponseBodySink HttpProxySession::sendResponseHead(const HttpResponseHead& head,
                                                    ClientResponseContext& context,
                                                    size_t& written) {
  const ResponseFraming framing = clientFraming(head, headRequest_, clientHttp10_);
  // A response that comes before the whole request did (an early answer to an upload) ends
  // the connection: the rest of the request body is never read as a next request.
  closeAfterResponse_ = !clientKeepAlive_ || lastResponse_ || framing == ResponseFraming::kClose ||
                        (exchange_.phase() != HttpExchange::Phase::kSent && !head.upgrade);
  context.close = closeAfterResponse_;
  context.clientHttp10 = clientHttp10_ && clientKeepAlive_;
  context.framing = framing;
  const size_t before = toClient_.size();
  writeClientResponseHead(head, context, toClient_);
  written = toClient_.size() - before;
  return {&toClient_, framing == ResponseFraming::kChunked ? BodyFramer::Mode::kChunked
                                                           : BodyFramer::Mode::kRaw};
}

void HttpProxySession::responseComplete() {
  if (closeAfterResponse_ || lastResponse_) {
    closeWhenFlushed_ = true;
  } else {
    startNextRequest();
  }
}

// Sluice's own answer (an error, a redirect, a rule's); the connection closes once it is sent,
// so that a request body need not be read.
void HttpProxySession::sendLocalAnswer(const LocalAnswer& answer) {
  appendHttp1Answer(answer, toClient_);
  closeWhenFlushed_ = true;
}

bool HttpProxySession::writeClient() {
  if (toClientSent_ == toClient_.size()) return false;
  const ssize_t n =
      transport_->write(toClient_.data() + toClientSent_, toClient_.size() - toClientSent_);
  if (n == Transport::kAgain) return false;
  if (n == Transport::kFailed) {
    finish("client_error");
    return false;
  }
  toClientSent_ += static_cast<size_t>(n);
  counters_->bytesOut.add(static_cast<uint64_t>(n));
  lastActivity_ = worker_.loop().now();
  if (toClientSent_ == toClient_.size()) {
    toClient_.clear();
    toClientSent_ = 0;
  }
  return true;
}

void HttpProxySession::respondError(int status, std::string_view reason) {
  exchange_.respondError(status, reason);
}

void HttpProxySession::startNextRequest() {
  firstRequest_ = false;
  if (requestUpgrade_) {
    parser_.nextMessage();  // the server declined the upgrade: HTTP goes on
    requestUpgrade_ = false;
  }
  exchange_.next();
  requestStart_ = worker_.loop().now();
  exchange_.setRequestStart(requestStart_);
  // A pipelined request may wait in the buffer: move it to the front, where a head must start.
  if (inStart_ > 0) {
    std::memmove(in_.data.get(), in_.data.get() + inStart_, inEnd_ - inStart_);
    inEnd_ -= inStart_;
    inStart_ = 0;
  }
  // An idle keep-alive connection holds no buffers.
  if (inEnd_ == 0) {
    worker_.buffers().release(std::move(in_));
    in_ = {};
  }
  // A reload published a newer config while this request ran: the next one is served by it.
  if (worker_.config() != config_ && betweenRequests()) {
    if (const VipConfig* vip = worker_.config()->successorOf(*vip_)) follow(worker_.config(), *vip);
  }
}

void HttpProxySession::countHandshake() {
  const std::string_view version = transport_->tlsVersion();
  const bool resumed = transport_->resumed();
  if (version == "TLSv1.3") {
    counters_->tls(resumed ? TlsOutcome::kTls13Resumed : TlsOutcome::kTls13);
  } else {
    counters_->tls(resumed ? TlsOutcome::kTls12Resumed : TlsOutcome::kTls12);
  }
}

// Nothing of a request has arrived or is buffered, and nothing is owed to the client.
bool HttpProxySession::betweenRequests() const {
  return exchange_.phase() == HttpExchange::Phase::kReadingHead && inStart_ == inEnd_ &&
         !exchange_.upgraded() && toClientSent_ == toClient_.size() && !closeWhenFlushed_;
}

bool HttpProxySession::configPublished(const std::shared_ptr<const WorkerConfig>& newest) {
  if (closed_) return false;
  const VipConfig* vip = newest->successorOf(*vip_);
  if (exchange_.upgraded()) {
    // A WebSocket is a relay now: it keeps its config unless what it relays to is gone.
    return exchange_.relayTargetGoneIn(*newest, vip);
  }
  if (!vip) {
    if (betweenRequests()) {
      finish("vip_removed");  // an idle keep-alive connection: nothing to finish
      return false;
    }
    lastResponse_ = true;  // the response in flight says Connection: close, if it still can
    return true;
  }
  // An idle connection moves now, so that it holds no old config; a busy one at its next
  // request (startNextRequest()).
  if (betweenRequests()) follow(newest, *vip);
  return false;
}

void HttpProxySession::drain() {
  if (closed_ || exchange_.upgraded()) return;  // a relay runs until the drain deadline
  if (betweenRequests()) {
    finish("shutdown");  // an idle keep-alive connection: nothing to finish
    return;
  }
  lastResponse_ = true;  // the response in flight says Connection: close, if it still can
}

bool HttpProxySession::closeIfUsing(const ServerHealth& server) {
  if (closed_ || !exchange_.closeIfUsing(server)) return false;
  finish("closed_by_operator");
  return true;
}

void HttpProxySession::follow(std::shared_ptr<const WorkerConfig> newest, const VipConfig& vip) {
  config_ = std::move(newest);
  vip_ = &vip;
  counters_ = &config_->vipCounters(vip);
  exchange_.useConfig(*config_, vip);
  parser_.setPolicy(vip.request);
  armTimer();
}

// A client whose TLS handshake failed or timed out made no request, but operators need to see
// it (a scanner, an old client, a certificate problem): one record with the reason.
void HttpProxySession::logHandshakeFailure(std::string_view end) {
  if (!worker_.accessLog().enabled()) return;
  AccessLogLine& line = worker_.logLine().begin();
  line.field("vip", vip_->name).field("service", toString(vip_->service));
  line.field("client", peer_.toString());
  line.field("duration_ms", millisBetween(acceptedAt_, worker_.loop().now()));
  const std::string_view sni = transport_->serverName();
  if (!sni.empty()) line.field("sni", sni);
  line.field("end", end);
  if (!transport_->error().empty()) line.field("error", transport_->error());
  worker_.accessLog().write(line.finish());
}

HttpProxySession::Due HttpProxySession::currentDeadline() const {
  if (!handshakeDone_) return {acceptedAt_ + vip_->clientHeaderTimeout, Deadline::kHandshake};
  if (exchange_.phase() == HttpExchange::Phase::kReadingHead && !exchange_.upgraded()) {
    // The first request's head is due client_header after accept, whether or not a byte
    // came (a connection that never speaks holds nothing for long); a later one's from its
    // first byte, and until then the connection is idle between requests.
    if (firstRequest_) return {acceptedAt_ + vip_->clientHeaderTimeout, Deadline::kHeader};
    const bool headStarted = inEnd_ > inStart_ || exchange_.requestBytes() > 0;
    if (headStarted) return {requestStart_ + vip_->clientHeaderTimeout, Deadline::kHeader};
    return {lastActivity_ + vip_->keepAliveTimeout, Deadline::kKeepAlive};
  }
  const auto [at, what] = exchange_.deadline(lastClientByte_, lastActivity_);
  return {at, Deadline::kExchange, what};
}

// Deadlines are armed lazily: traffic only moves lastActivity_, and the timer is re-armed when
// the phase's deadline is sooner than the armed one; onTimer() re-checks before acting.
void HttpProxySession::armTimer() {
  const TimePoint deadline = currentDeadline().at;
  if (!timer_.armed() || deadline < armedAt_) {
    timer_.armAt(deadline);
    armedAt_ = deadline;
  }
}

void HttpProxySession::onTimer() {
  if (closed_) return;
  const Due due = currentDeadline();
  if (worker_.loop().now() < due.at) {
    timer_.armAt(due.at);
    armedAt_ = due.at;
    return;
  }
  switch (due.what) {
    case Deadline::kHandshake:
      counters_->tls(TlsOutcome::kTimedOut);
      logHandshakeFailure("tls_handshake_timeout");
      finish("tls_handshake_timeout");
      return;
    case Deadline::kHeader:
      if (inEnd_ == inStart_ && exchange_.requestBytes() == 0) {
        finish("client_header_timeout");  // nothing was asked: nobody to answer
        return;
      }
      respondError(408, "client_header_timeout");
      break;
    case Deadline::kKeepAlive:
      finish("keep_alive_timeout");
      return;
    case Deadline::kExchange:
      exchange_.onDeadline(due.exchange);
      break;
  }
  progress();
}

void HttpProxySession::finish(std::string_view end) {
  if (closed_) return;
  if (exchange_.inFlight() && !exchange_.upgraded()) exchange_.logRequest(exchange_.status(), end);
  closed_ = true;
  counters_->closedAs(end);
  if (exchange_.upgraded()) counters_->upgradedClosed.add();
  timer_.cancel();
  resume_.cancel();
  exchange_.close();
  // A client that closed its side gets no close_notify: it has gone, and the alert would only
  // draw a reset from its kernel (NGINX does the same with no_send_shutdown).
  if (transport_ && !clientEof_) transport_->shutdown();
  client_.reset();  // closing the socket also takes it out of the epoll set
  worker_.sessionClosed(this);
}

}  // namespace sluice
