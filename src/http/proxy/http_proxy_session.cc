#include "http/proxy/http_proxy_session.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "http/ascii.h"
#include "http/error_response.h"
#include "http/proxy/client_response.h"
#include "http/proxy/sticky_cookie.h"
#include "http/proxy/upstream_pool.h"
#include "http/proxy/upstream_request.h"
#include "http/reason_phrase.h"
#include "server/worker.h"
#include "tls/host_name.h"

namespace sluice {
namespace {

// Sockets are watched for reading only, and for writability once a write (or a TLS step)
// had to wait for it: an edge-triggered EPOLLOUT fires on every ACK that frees send space,
// a wake-up per response for nothing. A connect in progress needs EPOLLOUT from the start.
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;
constexpr uint32_t kAllEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
// Bytes one side may have waiting to be sent before the proxy stops reading the other side.
constexpr size_t kMaxPending = 256 * 1024;
constexpr size_t kServerBufferSize = 64 * 1024;
// Progress rounds per event: enough to move everything a burst brings, bounded so that one
// busy connection cannot hold the worker.
constexpr int kMaxRounds = 64;

uint64_t millisBetween(TimePoint from, TimePoint to) {
  return to > from ? static_cast<uint64_t>(std::chrono::duration_cast<Millis>(to - from).count())
                   : 0;
}

}  // namespace

HttpProxySession::HttpProxySession(Worker& worker, std::shared_ptr<const WorkerConfig> config,
                                   const VipConfig& vip, UniqueFd client, const SocketAddress& peer)
    : worker_(worker),
      config_(std::move(config)),
      vip_(&vip),
      counters_(&config_->vipCounters(vip)),
      defaultGroup_(config_->groups[vip.defaultGroupIndex].get()),
      group_(defaultGroup_),
      client_(std::move(client)),
      peer_(peer),
      vipPort_(vip.listen.port()),
      parser_(vip.request),
      tried_(static_cast<uint32_t>(group_->size())),
      response_(vip.request.maxHeaders),
      requestStart_(worker.loop().now()),
      acceptedAt_(requestStart_),
      lastActivity_(requestStart_),
      lastClientByte_(requestStart_),
      timer_(worker.loop().timers(), [this] { onTimer(); }),
      resume_(worker.loop().timers(), [this] { progress(); }),
      queued_(worker.loop().timers(), [this] {
        connectNext();
        progress();
      }) {
  parser_.setBodyOutput(&toServer_);
}

HttpProxySession::~HttpProxySession() {
  worker_.buffers().release(std::move(peeked_));  // the TLS engine never reads it again
  worker_.buffers().release(std::move(in_));
  worker_.buffers().release(std::move(up_));
}

void HttpProxySession::adoptPeeked(BufferPool::Buffer peeked, size_t length) {
  peeked_ = std::move(peeked);
  peekedLength_ = length;
  registered_ = true;
}

void HttpProxySession::start() {
  facts_.source = &peer_;
  facts_.scheme = vip_->terminatesTls() ? "https" : "http";
  facts_.port = vipPort_;
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
  const bool added = registered_
                         ? worker_.loop().rebind(client_.get(), kReadEvents, &clientEndpoint_)
                         : worker_.loop().add(client_.get(), kReadEvents, &clientEndpoint_);
  if (!added) {
    finish("internal_error");
    return;
  }
  progress();
}

void HttpProxySession::onIo(bool fromClient, uint32_t events) {
  const bool readable = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  const bool peerClosed = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if (fromClient) {
    if (readable && transport_) transport_->socketReadable(peerClosed);
    // A TLS read may wait for writability; the transport says when it did.
    if (readable || (transport_ && (events & EPOLLOUT) && transport_->readWaitsForWritable())) {
      clientReadable_ = true;
    }
  } else {
    serverEvent_ = true;
    if (readable) server_.transport.socketReadable(peerClosed);
    if (readable || ((events & EPOLLOUT) && server_.transport.readWaitsForWritable())) {
      serverReadable_ = true;
    }
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
  if (!serverWatchesWritable_ && upstream_ != Upstream::kNone && server_.fd.valid() &&
      server_.transport.waitsForWritable()) {
    serverWatchesWritable_ = worker_.loop().rebind(server_.fd.get(), kAllEvents, &serverEndpoint_);
    if (!serverWatchesWritable_) finish("internal_error");
  }
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
  }
  bool moved = true;
  for (int round = 0; round < kMaxRounds && moved && !closed_; ++round) {
    moved = readClient();
    parseRequest();
    if (upstream_ == Upstream::kConnecting && serverEvent_ && !closed_) moved |= checkConnected();
    if (upstream_ == Upstream::kHandshaking && !closed_) moved |= handshakeUpstream();
    if (!closed_) moved |= writeUpstream();
    if (!closed_) moved |= readUpstream();
    if (!closed_) moved |= writeClient();
  }
  if (closed_) return;
  watchWritableWhenWaiting();
  if (moved) {
    // Out of rounds with work left: readiness was edge-reported and will not be reported
    // again, so come back right after the other connections of this batch have had a turn.
    resume_.armAt(worker_.loop().now());
  }
  if (closeWhenFlushed_ && toClientSent_ == toClient_.size()) {
    finish(status_ >= 400 && status_ != 0 ? "answered_error" : "done");
    return;
  }
  if (clientEof_ && request_ == Request::kReadingHead && inStart_ == inEnd_) {
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
  if (clientEof_ || closeWhenFlushed_ || toServer_.size() - toServerSent_ >= kMaxPending) {
    return false;
  }
  if (in_.data && inEnd_ == in_.size) return false;  // full: parsing or the server must catch up
  if (!clientReadable_) return false;
  // A connection waiting for its next request holds no buffer: the first read goes to the
  // worker's scratch space, and only bytes that arrived take a buffer from the pool. An idle
  // keep-alive connection thus costs its session and TLS state, nothing more.
  const bool firstRead = !in_.data;
  Worker::Scratch scratch = worker_.scratch();
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
    if (upgraded_ && toServer_.size() == toServerSent_) shutdownServerWrite();
    return true;
  }
  lastClientByte_ = lastActivity_;
  counters_->bytesIn.add(static_cast<uint64_t>(n));
  if (request_ == Request::kReadingHead && inStart_ == inEnd_ && inStart_ == 0) {
    requestStart_ = lastActivity_;  // the first byte of a new request
  }
  if (firstRead) {
    in_ = worker_.buffers().acquire(vip_->request.maxHeaderBytes + 16 * 1024);
    std::memcpy(in_.data.get(), scratch.data, static_cast<size_t>(n));
  }
  inEnd_ += static_cast<size_t>(n);
  return true;
}

void HttpProxySession::parseRequest() {
  if (upgraded_) {
    toServer_.append(in_.data.get() + inStart_, inEnd_ - inStart_);
    inStart_ = inEnd_ = 0;
    return;
  }
  if (!in_.data) return;  // nothing received yet
  while (!closed_ && (request_ == Request::kReadingHead || request_ == Request::kSendingBody)) {
    if (request_ == Request::kSendingBody && toServer_.size() - toServerSent_ >= kMaxPending) {
      return;  // backpressure: the server has not taken what it was sent
    }
    // Body bytes reach toServer_ through the parser, framed anew (never as received).
    const auto result = parser_.feed(in_.data.get() + inStart_, inEnd_ - inStart_);
    inStart_ += result.consumed;
    requestBytes_ += result.consumed;
    switch (result.event) {
      case Http1RequestParser::Event::kNeedMore:
        if (request_ == Request::kSendingBody && inStart_ == inEnd_) inStart_ = inEnd_ = 0;
        if (clientEof_ && request_ == Request::kSendingBody) finish("client_close");
        return;
      case Http1RequestParser::Event::kError:
        respondError(parser_.error().status, parser_.error().reason);
        return;
      case Http1RequestParser::Event::kHeadComplete:
        onRequestHead();
        if (upgraded_ || closed_) return;
        break;
      case Http1RequestParser::Event::kMessageComplete:
        if (request_ == Request::kSendingBody) {
          request_ = Request::kSent;
          requestSent_ = worker_.loop().now();
        }
        return;
    }
  }
}

void HttpProxySession::onRequestHead() {
  const HttpRequestHead& head = parser_.head();
  method_.assign(head.method);
  host_.assign(head.host);
  path_.assign(head.target);
  clientKeepAlive_ = head.keepAlive;
  clientHttp10_ = head.versionMinor == 0;
  headHeadRequest_ = head.method == "HEAD";
  requestHasBody_ = head.hasBody();
  requestUpgrade_ = head.upgrade;
  if (vip_->redirectHttps.enabled) {
    redirectToHttps();
    return;
  }
  if (!applyRules()) return;  // answered by a rule
  prepareAffinity(head);
  // Balancing is per request: the attached connection serves this one only if it goes to the
  // server the group (or the client's sticky cookie) chooses now; otherwise it goes back to
  // the pool (before the head is queued: releasing a connection drops what was queued for it).
  const uint32_t chosen = pickServer();
  const bool reuseAttached =
      upstream_ == Upstream::kConnected && serverIdleReusable_ && chosen == serverIndex_;
  if (serverIdleReusable_ && !reuseAttached) releaseUpstream(true);
  ForwardingContext context{&peer_, vip_->forwarded.trustedProxies.contains(peer_),
                            vip_->terminatesTls() ? "https" : "http", vipPort_,
                            vip_->forwarded.rfc7239};
  if (!decision_.requestEdits.empty()) context.edits = &decision_.requestEdits;
  upstreamHead_.clear();
  writeUpstreamRequestHead(head, context, upstreamHead_);
  toServer_.append(upstreamHead_);
  request_ = Request::kSendingBody;
  if (reuseAttached) {
    // The server connection of the previous request: no pool round trip, no epoll changes.
    // Like a pooled one, it may have been closed by the server just now (see
    // onUpstreamClosed()).
    serverIdleReusable_ = false;
    serverFromPool_ = true;
    attempts_ = 1;
    tried_.insert(serverIndex_);
    group_->connectionOpened(serverIndex_);
    expectResponse();
    return;
  }
  connectNext(chosen);
}

// Runs the VIP's rules. False when a rule answered the request itself (deny, redirect,
// respond); otherwise the request goes on to the default group or a rule's route, with the
// header changes of every matching rule.
bool HttpProxySession::applyRules() {
  decision_.clear();
  ServerGroup* group = defaultGroup_;
  if (vip_->rules) {
    facts_.setRequest(parser_.head());
    facts_.sni = transport_->serverName();
    vip_->rules->evaluate(facts_, decision_);
  }
  if (const Rule* rule = decision_.terminal) {
    switch (rule->action) {
      case Rule::Action::kNone:
      case Rule::Action::kAllow:
        break;
      case Rule::Action::kRoute:
        group = config_->groups[rule->groupIndex].get();
        break;
      case Rule::Action::kDeny:
        answerLocally(errorResponse(rule->status), rule->status, "denied");
        return false;
      case Rule::Action::kRespond:
        answerLocally(rule->response, rule->status, "responded");
        return false;
      case Rule::Action::kRedirect: {
        std::string& response = upstreamHead_;  // free until the request is forwarded
        response.assign("HTTP/1.1 ").append(std::to_string(rule->status)).append(" ");
        response.append(reasonPhrase(rule->status)).append("\r\nLocation: ");
        rule->redirect.render(facts_, response);
        response.append("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        answerLocally(response, rule->status, "redirected");
        return false;
      }
    }
  }
  useGroup(group);
  return true;
}

// Sluice's own answer to the request (a rule's deny, redirect or respond); the connection
// closes once it is sent, so that a request body need not be read.
void HttpProxySession::answerLocally(std::string_view response, int status, std::string_view end) {
  toClient_.append(response);
  status_ = status;
  request_ = Request::kAnswered;
  closeWhenFlushed_ = true;
  logRequest(status, end);
}

// Switches the request to `group`. A connection kept from the previous request belongs to the
// old group: it goes back to the pool first.
void HttpProxySession::useGroup(ServerGroup* group) {
  if (group == group_) return;
  if (serverIdleReusable_) releaseUpstream(true);
  group_ = group;
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
}

// What places this request in its group: the sticky cookie's server, and the key the group's
// hashing balances on.
void HttpProxySession::prepareAffinity(const HttpRequestHead& head) {
  const ServerGroupConfig& group = group_->config();
  stickyServer_ = group.sticky.enabled ? StickyCookie::serverOf(group.sticky, head.headers)
                                       : ServerGroup::kNone;
  affinityKey_.clear();
  if (group.balance == BalanceAlgorithm::kUriHash) {
    affinityKey_.assign(head.path);
  } else if (group.balance == BalanceAlgorithm::kHeaderHash) {
    for (const HttpHeader& header : head.headers) {
      if (equalsIgnoreCase(header.name, group.hashHeader)) {
        affinityKey_.assign(header.value);
        break;
      }
    }
  }
  // Source hash, and header_hash without the header: the client's address.
  if (affinityKey_.empty()) affinityKey_.assign(peer_.ipBytes());
}

// The next server to try: the one the client's cookie names while it can be tried, else the
// group's choice.
uint32_t HttpProxySession::pickServer() {
  const TimePoint now = worker_.loop().now();
  if (stickyServer_ != ServerGroup::kNone && !tried_.contains(stickyServer_) &&
      group_->available(stickyServer_, now)) {
    return stickyServer_;
  }
  return group_->pick(tried_, affinityKey_, now);
}

void HttpProxySession::redirectToHttps() {
  std::string_view host = host_;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  const std::string fallback = vip_->listen.ipString();
  if (host.empty()) host = fallback;
  const int status = vip_->redirectHttps.status;
  toClient_.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
  toClient_.append(reasonPhrase(status));
  toClient_.append("\r\nLocation: https://").append(host);
  if (vip_->redirectHttps.port != 443)
    toClient_.append(":").append(std::to_string(vip_->redirectHttps.port));
  toClient_.append(path_).append("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  status_ = status;
  request_ = Request::kAnswered;
  closeWhenFlushed_ = true;
  logRequest(status, "redirect_https");
}

void HttpProxySession::connectNext(uint32_t chosen) {
  const ServerGroupConfig& group = group_->config();
  for (;;) {
    if (attempts_ > group.retries) {
      respondError(502, "connect_failed");
      return;
    }
    serverIndex_ = chosen != ServerGroup::kNone ? chosen : pickServer();
    chosen = ServerGroup::kNone;
    if (serverIndex_ == ServerGroup::kNone && attempts_ == 0 &&
        group_->allFull(worker_.loop().now())) {
      // Every server that is up is at max_connections: wait a little for one to free up.
      if (worker_.loop().now() - requestStart_ < group.queueTimeout) {
        queued_.armAt(worker_.loop().now() + Millis(10));
        return;
      }
      respondError(503, "queue_timeout");
      return;
    }
    if (serverIndex_ == ServerGroup::kNone) {
      respondError(attempts_ == 0 ? 503 : 502, attempts_ == 0 ? "no_server" : "connect_failed");
      return;
    }
    tried_.insert(serverIndex_);
    ++attempts_;
    buildUpstreamKey();
    server_ = worker_.upstreamPool().take(upstreamKey_, worker_.loop().now());
    serverFromPool_ = server_.fd.valid();
    serverWatchesWritable_ = false;
    if (serverFromPool_ ? worker_.loop().add(server_.fd.get(), kReadEvents, &serverEndpoint_)
                        : openConnection()) {
      group_->connectionOpened(serverIndex_);
      upstream_ = serverFromPool_ ? Upstream::kConnected : Upstream::kConnecting;
      serverReadable_ = serverFromPool_;
      serverEvent_ = false;
      expectResponse();
      return;
    }
    noteConnectFailure(std::strerror(errno));
    server_ = {};
  }
}

// A new TCP connection to the chosen server, registered with the loop (the connect completes
// later: checkConnected()).
bool HttpProxySession::openConnection() {
  group_->counters(serverIndex_).connections.add();
  connectStarted_ = worker_.loop().now();
  server_.fd = connectTcp(group_->config().servers[serverIndex_].address);
  serverWatchesWritable_ = true;
  return server_.fd.valid() && worker_.loop().add(server_.fd.get(), kAllEvents, &serverEndpoint_);
}

void HttpProxySession::noteConnectFailure(std::string_view why) {
  lastConnectError_.assign(why);
  group_->counters(serverIndex_).connectFailures.add();
  noteServerFailure(why);
}

// The key under which connections and TLS sessions to the chosen server are shared: only one
// made exactly as this request needs it may be reused (same server, and for TLS the same
// trust, SNI and verified name).
void HttpProxySession::buildUpstreamKey() {
  const ServerGroupConfig& group = group_->config();
  const ServerConfig& server = group.servers[serverIndex_];
  upstreamKey_ = upstreamAddressKey(server.address);
  if (!group.tlsContext) return;
  upstreamSni_ = server.tlsSni;
  upstreamVerifyName_ = server.tlsVerifyName;
  if (group.tls.sniFromClient) {
    // The client's own name, as it asked for it, when it sent one we can pass on.
    std::string name;
    if (normaliseHostName(transport_->serverName(), name)) {
      upstreamSni_ = name;
      if (group.tls.verifyName.empty()) upstreamVerifyName_ = name;
    }
  }
  upstreamKey_.append("|").append(group.tlsContext->identity());
  upstreamKey_.append("|sni=").append(upstreamSni_).append("|name=").append(upstreamVerifyName_);
}

// A server connection is ready (or being made) for the current request: get ready to read its
// response. The connect and response deadlines count from here.
void HttpProxySession::expectResponse() {
  requestSent_ = worker_.loop().now();
  if (!up_.data) up_ = worker_.buffers().acquire(kServerBufferSize);
  response_.reset(headHeadRequest_);
  expectingResponse_ = true;
}

// While connecting: has the connect finished? (Readiness is edge-reported to progress(), which
// does not know which socket woke it, so ask the socket.)
bool HttpProxySession::checkConnected() {
  serverEvent_ = false;
  pollfd p{server_.fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  const int error = connectResult(server_.fd.get());
  if (error != 0) {
    noteConnectFailure(std::strerror(error));
    releaseUpstream(false);
    connectNext();
    return true;
  }
  group_->counters().connectDuration.observeMicros(
      microsBetween(connectStarted_, worker_.loop().now()));
  const ServerGroupConfig& group = group_->config();
  if (!group.tlsContext) {
    server_.transport = Transport(server_.fd.get());
    upstream_ = Upstream::kConnected;
    serverReadable_ = true;
    return true;
  }
  // protocol: https: resume this server's last session when there is one.
  SSL* ssl = group.tlsContext->newSession(upstreamSni_, upstreamVerifyName_,
                                          worker_.backendSessions().find(upstreamKey_));
  if (!ssl) {
    noteConnectFailure("out of memory for a TLS session");
    releaseUpstream(false);
    connectNext();
    return true;
  }
  server_.transport = Transport(server_.fd.get(), ssl, Transport::Role::kConnect);
  upstream_ = Upstream::kHandshaking;
  return true;
}

// The TLS handshake with the server, certificate check included. A server that fails it is
// treated like one that refused the connection: the next server is tried, and nothing of the
// request is ever sent to it.
bool HttpProxySession::handshakeUpstream() {
  if (server_.transport.handshake()) {
    upstream_ = Upstream::kConnected;
    serverReadable_ = true;
    return true;
  }
  if (!server_.transport.failed()) return false;
  group_->counters(serverIndex_).tlsFailures.add();
  noteConnectFailure(server_.transport.error());
  releaseUpstream(false);
  connectNext();
  return true;
}

bool HttpProxySession::writeUpstream() {
  if (upstream_ != Upstream::kConnected || toServerSent_ == toServer_.size()) return false;
  const ssize_t n =
      server_.transport.write(toServer_.data() + toServerSent_, toServer_.size() - toServerSent_);
  if (n == Transport::kAgain) return false;
  if (n == Transport::kFailed) {
    onUpstreamClosed(false);
    return true;
  }
  toServerSent_ += static_cast<size_t>(n);
  lastActivity_ = worker_.loop().now();
  if (toServerSent_ == toServer_.size()) {
    toServer_.clear();
    toServerSent_ = 0;
    if (upgraded_ && clientEof_) shutdownServerWrite();
  }
  return true;
}

// An upgraded connection's client finished sending: pass the half-close on.
void HttpProxySession::shutdownServerWrite() {
  server_.transport.shutdown();
  ::shutdown(server_.fd.get(), SHUT_WR);
}

bool HttpProxySession::readUpstream() {
  if (upstream_ != Upstream::kConnected) return false;
  if (serverIdleReusable_) return checkIdleServer();
  if (toClient_.size() - toClientSent_ >= kMaxPending) return false;
  if (upEnd_ == up_.size) {
    if (!responseHeadSeen_) respondError(502, "response head too large");
    return false;
  }
  if (!serverReadable_) return false;
  const ssize_t n = server_.transport.read(up_.data.get() + upEnd_, up_.size - upEnd_);
  if (n == Transport::kAgain) {
    serverReadable_ = false;
    return false;
  }
  if (n == Transport::kFailed) {
    onUpstreamClosed(false);
    return true;
  }
  lastActivity_ = worker_.loop().now();
  if (n == 0) {
    onUpstreamClosed(true);
    return true;
  }
  upEnd_ += static_cast<size_t>(n);
  parseResponse();
  return true;
}

void HttpProxySession::parseResponse() {
  if (upgraded_) {
    toClient_.append(up_.data.get() + upStart_, upEnd_ - upStart_);
    upStart_ = upEnd_ = 0;
    return;
  }
  while (!closed_ && expectingResponse_) {
    // Body bytes reach toClient_ through the parser, framed for this client.
    const size_t before = toClient_.size();
    const auto result = response_.feed(up_.data.get() + upStart_, upEnd_ - upStart_);
    responseBytes_ += toClient_.size() - before;
    upStart_ += result.consumed;
    switch (result.event) {
      case Http1ResponseParser::Event::kNeedMore:
        if (responseHeadSeen_ && upStart_ == upEnd_) upStart_ = upEnd_ = 0;
        return;
      case Http1ResponseParser::Event::kError:
        if (responseStarted_) {
          finish("server_error");
        } else {
          respondError(502, "invalid response");
        }
        return;
      case Http1ResponseParser::Event::kHeadComplete:
        onResponseHead();
        if (upgraded_) {
          parseResponse();  // whatever followed the 101 is already the new protocol
          return;
        }
        break;
      case Http1ResponseParser::Event::kMessageComplete:
        if (responseHeadSeen_) {
          onResponseComplete();
          return;
        }
        break;  // an interim (1xx) response ended; the final one follows
    }
  }
}

void HttpProxySession::onResponseHead() {
  const HttpResponseHead& head = response_.head();
  const std::string_view hsts = head.status >= 200 ? std::string_view(vip_->hstsValue) : "";
  if (head.upgrade && !requestUpgrade_) {
    respondError(502, "101 to a request that asked for no upgrade");
    return;
  }
  if (head.status < 200 && !head.upgrade) {
    // Interim: the final response follows. An HTTP/1.0 client cannot take one (RFC 9110
    // §15.2).
    if (!clientHttp10_) {
      const size_t before = toClient_.size();
      ClientResponseContext interim;
      interim.hsts = hsts;
      writeClientResponseHead(head, interim, toClient_);
      responseBytes_ += toClient_.size() - before;
    }
    return;
  }
  responseHeadSeen_ = true;
  responseStarted_ = true;
  if (head.status >= 500) {
    // The reason is only spelt out when it ejects the server: no string per 5xx answer.
    if (group_->noteFailure(serverIndex_, responseHeadAt_)) {
      worker_.reportEjection(group_->config(), serverIndex_,
                             "HTTP status " + std::to_string(head.status));
    }
  } else {
    group_->noteSuccess(serverIndex_);
  }
  responseHeadAt_ = worker_.loop().now();
  status_ = static_cast<int>(head.status);
  const ResponseFraming framing = clientFraming(head, headHeadRequest_, clientHttp10_);
  response_.frameBody(&toClient_, framing == ResponseFraming::kChunked ? BodyFramer::Mode::kChunked
                                                                       : BodyFramer::Mode::kRaw);
  // A response that comes before the whole request did (an early answer to an upload) ends
  // the connection: the rest of the request body is never read as a next request.
  closeAfterResponse_ = !clientKeepAlive_ || vipRemoved_ || framing == ResponseFraming::kClose ||
                        (request_ != Request::kSent && !head.upgrade);
  ClientResponseContext context;
  context.hsts = hsts;
  context.close = closeAfterResponse_;
  context.clientHttp10 = clientHttp10_ && clientKeepAlive_;
  context.framing = framing;
  if (!decision_.responseEdits.empty()) context.edits = &decision_.responseEdits;
  const StickyCookieConfig& sticky = group_->config().sticky;
  stickyLine_.clear();
  if (sticky.enabled && serverIndex_ != stickyServer_) {
    // First pick, or the cookie's server could not be used: send the client to this one.
    const bool secure =
        sticky.secure == StickyCookieConfig::Secure::kAlways ||
        (sticky.secure == StickyCookieConfig::Secure::kAuto && vip_->terminatesTls());
    StickyCookie::appendSetCookie(sticky, serverIndex_, secure, stickyLine_);
    context.extraLines = stickyLine_;
  }
  const size_t before = toClient_.size();
  writeClientResponseHead(head, context, toClient_);
  responseBytes_ += toClient_.size() - before;
  if (head.upgrade) {
    upgraded_ = true;
    counters_->upgraded.add();
    logRequest(status_, "upgraded");
  }
}

void HttpProxySession::onResponseComplete() {
  const bool reusable = response_.head().keepAlive && request_ == Request::kSent &&
                        toServerSent_ == toServer_.size() && upStart_ == upEnd_ &&
                        !server_.transport.hasBufferedInput();
  logRequest(status_, "ok");
  if (server_.transport.tls() && !server_.tlsSessionKept) keepServerSession();
  if (reusable && !closeAfterResponse_) {
    // Keep it for this client's next request; its buffer starts over (reusable means every
    // byte it sent was parsed).
    group_->connectionClosed(serverIndex_);
    serverIdleReusable_ = true;
    upStart_ = upEnd_ = 0;
  } else {
    releaseUpstream(reusable);
  }
  if (closeAfterResponse_ || vipRemoved_) {
    closeWhenFlushed_ = true;
    request_ = Request::kAnswered;
  } else {
    startNextRequest();
  }
}

// After a TLS server's first response its session tickets have arrived (TLS 1.3 sends them
// after the handshake): keep the session so that the next new connection to this server
// resumes it. Once per connection.
void HttpProxySession::keepServerSession() {
  server_.tlsSessionKept = true;
  worker_.backendSessions().store(upstreamKey_, server_.transport.ssl());
}

void HttpProxySession::onUpstreamClosed(bool cleanEof) {
  if (upgraded_) {
    releaseUpstream(false);
    closeWhenFlushed_ = true;
    return;
  }
  if (responseHeadSeen_ && cleanEof && response_.finishAtEof()) {
    onResponseComplete();  // a body delimited by the close (closeAfterResponse_ is set)
    return;
  }
  if (responseStarted_) {
    finish("server_error");  // cut short mid-response: the client must not take it as whole
    return;
  }
  if (serverFromPool_ && !requestHasBody_) {
    // The pooled connection was closed by the server just as it was reused: safe to send the
    // head again on a new connection to the same server.
    releaseUpstream(false);
    if (openConnection()) {
      group_->connectionOpened(serverIndex_);
      serverFromPool_ = false;
      upstream_ = Upstream::kConnecting;
      serverReadable_ = serverEvent_ = false;
      toServer_ = upstreamHead_;
      toServerSent_ = 0;
      expectResponse();
      return;
    }
    server_ = {};
  }
  const char* why = cleanEof ? "server closed before responding" : "server connection failed";
  noteServerFailure(why);
  if (retryableElsewhere()) {
    // Nothing of the response reached the client and the request may be repeated: the next
    // server gets it, as if this one had refused the connection.
    lastConnectError_.assign(why);
    releaseUpstream(false);
    toServer_ = upstreamHead_;
    toServerSent_ = 0;
    connectNext();
    return;
  }
  respondError(502, why);
}

// A request whose server failed before answering may go to another one when repeating it
// cannot do harm: an idempotent method without a body, within the group's retries and the
// VIP's server_response time.
bool HttpProxySession::retryableElsewhere() const {
  static constexpr std::string_view kIdempotent[] = {"GET",   "HEAD", "OPTIONS",
                                                     "TRACE", "PUT",  "DELETE"};
  if (responseStarted_ || requestHasBody_ || attempts_ > group_->config().retries) return false;
  if (worker_.loop().now() - requestStart_ >= vip_->serverResponseTimeout) return false;
  for (std::string_view method : kIdempotent) {
    if (method_ == method) return true;
  }
  return false;
}

// Passive health: a failure seen by real traffic; enough in a row eject the server.
void HttpProxySession::noteServerFailure(std::string_view why) {
  const TimePoint now = worker_.loop().now();
  if (group_->noteFailure(serverIndex_, now)) {
    worker_.reportEjection(group_->config(), serverIndex_, why);
  }
}

// An attached server connection between requests: nothing may arrive on it. Readable means
// the server closed it (or broke protocol): drop it, and the next request connects anew.
bool HttpProxySession::checkIdleServer() {
  if (!serverReadable_) return false;
  if (serverConnectionIdle()) {
    serverReadable_ = false;
    return false;
  }
  releaseUpstream(false);
  return true;
}

bool HttpProxySession::serverConnectionIdle() const {
  if (!server_.transport.inputMayBePending()) return true;  // nothing came since the response
  char byte;
  const ssize_t n = ::recv(server_.fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
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
  if (responseStarted_) {
    finish(reason);
    return;
  }
  releaseUpstream(false);
  toClient_.append(errorResponse(status));
  status_ = status;
  request_ = Request::kAnswered;
  closeWhenFlushed_ = true;
  logRequest(status, reason);
}

// Lets go of the server connection. What was queued for the server stays queued: after a
// failed connect the request goes to the next server as it is.
void HttpProxySession::releaseUpstream(bool reusable) {
  if (upstream_ == Upstream::kNone) return;
  if (!serverIdleReusable_) group_->connectionClosed(serverIndex_);
  serverIdleReusable_ = false;
  if (reusable) {
    worker_.loop().remove(server_.fd.get());  // closing would do it otherwise
    worker_.upstreamPool().give(upstreamKey_, std::move(server_), worker_.loop().now());
  } else if (upstream_ == Upstream::kConnected) {
    server_.transport.shutdown();  // close_notify, so the server sees an orderly close
  }
  server_ = {};
  upstream_ = Upstream::kNone;
  upStart_ = upEnd_ = 0;
}

void HttpProxySession::startNextRequest() {
  request_ = Request::kReadingHead;
  firstRequest_ = false;
  if (requestUpgrade_) {
    parser_.nextMessage();  // the server declined the upgrade: HTTP goes on
    requestUpgrade_ = false;
  }
  // Whatever the last server did not take (it answered before the whole body) is dropped.
  toServer_.clear();
  toServerSent_ = 0;
  responseHeadSeen_ = responseStarted_ = false;
  requestBytes_ = responseBytes_ = 0;
  attempts_ = 0;
  lastConnectError_.clear();
  status_ = 0;
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
  expectingResponse_ = false;
  requestStart_ = worker_.loop().now();
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
  worker_.buffers().release(std::move(up_));
  up_ = {};
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
  return request_ == Request::kReadingHead && inStart_ == inEnd_ && !upgraded_ &&
         toClientSent_ == toClient_.size() && !closeWhenFlushed_;
}

bool HttpProxySession::configPublished(const std::shared_ptr<const WorkerConfig>& newest) {
  if (closed_) return false;
  const VipConfig* vip = newest->successorOf(*vip_);
  if (upgraded_) {
    // A WebSocket is a relay now: it keeps its config unless what it relays to is gone.
    return !vip || !newest->stillHas(group_->config(), serverIndex_);
  }
  if (!vip) {
    if (betweenRequests()) {
      finish("vip_removed");  // an idle keep-alive connection: nothing to finish
      return false;
    }
    vipRemoved_ = true;  // the response in flight says Connection: close, if it still can
    return true;
  }
  // An idle connection moves now, so that it holds no old config; a busy one at its next
  // request (startNextRequest()).
  if (betweenRequests()) follow(newest, *vip);
  return false;
}

bool HttpProxySession::closeIfUsing(const ServerHealth& server) {
  if (closed_ || upstream_ == Upstream::kNone || serverIndex_ == ServerGroup::kNone ||
      group_->healthOf(serverIndex_) != &server) {
    return false;
  }
  if (betweenRequests()) {
    releaseUpstream(false);
    return false;
  }
  finish("closed_by_operator");
  return true;
}

void HttpProxySession::follow(std::shared_ptr<const WorkerConfig> newest, const VipConfig& vip) {
  // A server connection kept for this client belongs to the old groups: it goes to the pool,
  // which any config may draw from (it is keyed by address and TLS identity).
  releaseUpstream(serverIdleReusable_ && serverConnectionIdle());
  config_ = std::move(newest);
  vip_ = &vip;
  counters_ = &config_->vipCounters(vip);
  defaultGroup_ = group_ = config_->groups[vip.defaultGroupIndex].get();
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
  serverIndex_ = ServerGroup::kNone;
  parser_.setPolicy(vip.request);
  response_.setMaxFields(vip.request.maxHeaders);
  armTimer();
}

void HttpProxySession::logRequest(int status, std::string_view end) {
  const TimePoint now = worker_.loop().now();
  if (status != 0) counters_->answered(status, microsBetween(requestStart_, now));
  if (!worker_.accessLog().enabled()) return;
  AccessLogLine& line = worker_.logLine().begin();
  line.field("vip", vip_->name).field("service", toString(vip_->service));
  line.field("client", peer_.toString());
  line.field("method", method_).field("host", host_).field("path", path_);
  line.field("status", static_cast<uint64_t>(status));
  if (decision_.terminal && request_ != Request::kReadingHead) {
    line.field("rule", decision_.terminal->name);
  }
  if (group_ != defaultGroup_) line.field("group", group_->config().name);
  if (serverIndex_ != ServerGroup::kNone) {
    line.field("server", group_->config().servers[serverIndex_].name);
  }
  line.field("bytes_in", requestBytes_).field("bytes_out", responseBytes_);
  if (responseHeadSeen_) line.field("upstream_ms", millisBetween(requestSent_, responseHeadAt_));
  line.field("duration_ms", millisBetween(requestStart_, now));
  if (transport_->tls()) {
    line.field("tls_version", transport_->tlsVersion()).field("tls_cipher", transport_->cipher());
  }
  line.field("end", end);
  // Why no server answered, as the tcp service logs it.
  if (!responseHeadSeen_ && !lastConnectError_.empty()) line.field("error", lastConnectError_);
  worker_.accessLog().write(line.finish());
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

std::pair<TimePoint, HttpProxySession::Deadline> HttpProxySession::currentDeadline() const {
  const bool headStarted = inEnd_ > inStart_ || requestBytes_ > 0;
  if (!handshakeDone_) return {acceptedAt_ + vip_->clientHeaderTimeout, Deadline::kHandshake};
  if (upgraded_) return {lastActivity_ + group_->config().idleTimeout, Deadline::kIdle};
  if (request_ == Request::kReadingHead) {
    // The first request's head is due client_header after accept, whether or not a byte
    // came (a connection that never speaks holds nothing for long); a later one's from its
    // first byte, and until then the connection is idle between requests.
    if (firstRequest_) return {acceptedAt_ + vip_->clientHeaderTimeout, Deadline::kHeader};
    return headStarted ? std::pair{requestStart_ + vip_->clientHeaderTimeout, Deadline::kHeader}
                       : std::pair{lastActivity_ + vip_->keepAliveTimeout, Deadline::kKeepAlive};
  }
  if (upstream_ == Upstream::kConnecting || upstream_ == Upstream::kHandshaking) {
    return {requestSent_ + group_->config().connectTimeout, Deadline::kConnect};
  }
  // A body that stops arriving, while Sluice is waiting for it (not while the server is slow
  // to take what it was sent).
  if (request_ == Request::kSendingBody && toServer_.size() - toServerSent_ < kMaxPending) {
    return {lastClientByte_ + vip_->clientBodyTimeout, Deadline::kBody};
  }
  if (request_ == Request::kSent && !responseHeadSeen_) {
    return {requestSent_ + vip_->serverResponseTimeout, Deadline::kResponse};
  }
  return {lastActivity_ + group_->config().idleTimeout, Deadline::kIdle};
}

// Deadlines are armed lazily: traffic only moves lastActivity_, and the timer is re-armed when
// the phase's deadline is sooner than the armed one; onTimer() re-checks before acting.
void HttpProxySession::armTimer() {
  const TimePoint deadline = currentDeadline().first;
  if (!timer_.armed() || deadline < armedAt_) {
    timer_.armAt(deadline);
    armedAt_ = deadline;
  }
}

void HttpProxySession::onTimer() {
  if (closed_) return;
  const auto [deadline, what] = currentDeadline();
  if (worker_.loop().now() < deadline) {
    timer_.armAt(deadline);
    armedAt_ = deadline;
    return;
  }
  switch (what) {
    case Deadline::kHandshake:
      counters_->tls(TlsOutcome::kTimedOut);
      logHandshakeFailure("tls_handshake_timeout");
      finish("tls_handshake_timeout");
      return;
    case Deadline::kHeader:
      if (inEnd_ == inStart_ && requestBytes_ == 0) {
        finish("client_header_timeout");  // nothing was asked: nobody to answer
        return;
      }
      respondError(408, "client_header_timeout");
      break;
    case Deadline::kBody:
      respondError(408, "client_body_timeout");
      break;
    case Deadline::kKeepAlive:
      finish("keep_alive_timeout");
      return;
    case Deadline::kConnect:
      noteConnectFailure(upstream_ == Upstream::kHandshaking ? "TLS handshake timed out"
                                                             : std::strerror(ETIMEDOUT));
      releaseUpstream(false);
      connectNext();
      break;
    case Deadline::kResponse:
      noteServerFailure("no response in time");
      respondError(504, "server_response_timeout");
      break;
    case Deadline::kIdle:
      finish("idle_timeout");
      return;
  }
  progress();
}

void HttpProxySession::finish(std::string_view end) {
  if (closed_) return;
  const bool requestInFlight = request_ == Request::kSendingBody || request_ == Request::kSent;
  if (requestInFlight && !upgraded_) logRequest(status_, end);
  closed_ = true;
  counters_->closedAs(end);
  if (upgraded_) counters_->upgradedClosed.add();
  timer_.cancel();
  resume_.cancel();
  queued_.cancel();
  releaseUpstream(serverIdleReusable_ && serverConnectionIdle());
  // A client that closed its side gets no close_notify: it has gone, and the alert would only
  // draw a reset from its kernel (NGINX does the same with no_send_shutdown).
  if (transport_ && !clientEof_) transport_->shutdown();
  client_.reset();  // closing the socket also takes it out of the epoll set
  worker_.sessionClosed(this);
}

}  // namespace sluice
