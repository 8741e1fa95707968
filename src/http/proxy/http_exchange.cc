#include "http/proxy/http_exchange.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/ascii.h"
#include "http/proxy/http_worker_state.h"
#include "http/proxy/sticky_cookie.h"
#include "http/proxy/upstream_request.h"
#include "tls/host_name.h"

namespace sluice {
namespace {

// A server socket is watched for reading only, and for writability once a write (or a TLS
// step) had to wait for it; a connect in progress needs EPOLLOUT from the start.
constexpr uint32_t kAllEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
constexpr size_t kServerBufferSize = 64 * 1024;
constexpr size_t kMaxHttp2TrailerBytes = 32 * 1024;

uint64_t millisBetween(TimePoint from, TimePoint to) {
  return to > from ? static_cast<uint64_t>(std::chrono::duration_cast<Millis>(to - from).count())
                   : 0;
}

}  // namespace

HttpExchange::HttpExchange(WorkerServices& worker, HttpWorkerState& http, ExchangeClient& client,
                           const SocketAddress& peer)
    : worker_(worker),
      http_(http),
      client_(client),
      peer_(peer),
      lastActivity_(worker.loop().now()),
      queued_(worker.loop().timers(), [this] {
        connectNext();
        client_.wake();
      }) {
  facts_.source = &peer_;
}

// The client's address as text: the same for every request of the connection, so made once
// (inet_ntop is a tenth of what a small request costs).
std::string_view HttpExchange::peerIp() {
  if (peerIp_.empty()) peerIp_ = peer_.ipString();
  return peerIp_;
}

std::string_view HttpExchange::peerText() {
  if (peerText_.empty()) peerText_ = peer_.toString();
  return peerText_;
}

HttpExchange::~HttpExchange() {
  worker_.buffers().release(std::move(up_));
}

void HttpExchange::useConfig(const WorkerConfig& config, const VipConfig& vip) {
  config_ = &config;
  vip_ = &vip;
  counters_ = &config.vipCounters(vip);
  defaultGroup_ = group_ = config.groups[vip.defaultGroupIndex].get();
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
  serverIndex_ = ServerGroup::kNone;
  response_.setMaxFields(vip.request.maxHeaders);
  facts_.scheme = vip.terminatesTls() ? "https" : "http";
  facts_.port = vip.listen.port();
}

void HttpExchange::start(const HttpRequestHead& head) {
  method_.assign(head.method);
  host_.assign(head.host);
  path_.assign(head.target);
  headRequest_ = head.method == "HEAD";
  requestHasBody_ = head.hasBody();
  requestUpgrade_ = head.upgrade;
  phase_ = Phase::kSendingBody;
  if (vip_->redirectHttps.enabled) {
    redirectToHttps();
    return;
  }
  if (!applyRules(head)) return;  // answered by a rule
  prepareAffinity(head);
  // Balancing is per request, and a server connection serves one request at a time: between
  // a keep-alive client's requests it waits in the worker's pool, where any client may take it
  // (as HAProxy's `http-reuse safe`), so an idle client pins nothing.
  const uint32_t chosen = pickServer();
  // A WebSocket upgrade goes to an HTTP/2 group's server over HTTP/1.1 (RFC 8441 aside,
  // HTTP/2 has no Upgrade).
  serverHttp2_ = group_->config().http2 && !head.upgrade;
  ForwardingContext context{&peer_, vip_->forwarded.trustedProxies.contains(peer_),
                            vip_->terminatesTls() ? "https" : "http", vip_->listen.port(),
                            vip_->forwarded.rfc7239};
  if (!decision_.requestEdits.empty()) context.edits = &decision_.requestEdits;
  context.clientIp = peerIp();
  if (serverHttp2_) {
    if (!h2_) h2_ = std::make_unique<Http2Side>(*this, worker_.loop().timers());
    h2_->requestTrailers.clear();
    writeHttp2UpstreamRequest(head, context, group_->config().tlsContext ? "https" : "http",
                              h2_->request);
    connectNext(chosen);
    return;
  }
  upstreamHead_.clear();
  writeUpstreamRequestHead(head, context, upstreamHead_);
  toServer_.append(upstreamHead_);
  connectNext(chosen);
}

void HttpExchange::requestComplete() {
  if (phase_ != Phase::kSendingBody) return;
  phase_ = Phase::kSent;
  requestSent_ = worker_.loop().now();
}

void HttpExchange::clientFinishedSending() {
  clientDoneSending_ = true;
  if (upgraded_ && toServer_.size() == toServerSent_) shutdownServerWrite();
}

void HttpExchange::onServerIo(uint32_t events) {
  const bool readable = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  const bool peerClosed = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  serverEvent_ = true;
  if (readable) server_.transport.socketReadable(peerClosed);
  if (readable || ((events & EPOLLOUT) && server_.transport.readWaitsForWritable())) {
    serverReadable_ = true;
  }
  client_.wake();
}

// The server-side steps, in the order bytes flow. A step may end the exchange (an answer, or
// the client's end); each later step then finds nothing to do.
bool HttpExchange::advance() {
  if (http2_) return advanceHttp2();
  bool moved = false;
  if (upstream_ == Upstream::kConnecting && serverEvent_) moved |= checkConnected();
  if (upstream_ == Upstream::kHandshaking) moved |= handshakeUpstream();
  moved |= writeUpstream();
  moved |= readUpstream();
  return moved;
}

bool HttpExchange::watchWritableWhenWaiting() {
  if (!serverWatchesWritable_ && upstream_ != Upstream::kNone && server_.fd.valid() &&
      server_.transport.waitsForWritable()) {
    serverWatchesWritable_ =
        worker_.loop().rebind(server_.fd.get(), kAllEvents, server_.events.get());
    server_.events->watched = kAllEvents;
    return serverWatchesWritable_;
  }
  return true;
}

// Runs the VIP's rules. False when a rule answered the request itself (deny, redirect,
// respond); otherwise the request goes on to the default group or a rule's route, with the
// header changes of every matching rule.
bool HttpExchange::applyRules(const HttpRequestHead& head) {
  decision_.clear();
  ServerGroup* group = defaultGroup_;
  if (vip_->rules) {
    facts_.setRequest(head);
    facts_.sni = clientTransport_->serverName();
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
        answerLocally(errorAnswer(rule->status), "denied");
        return false;
      case Rule::Action::kRespond: {
        LocalAnswer answer;
        answer.status = rule->status;
        answer.contentType = rule->responseType;
        answer.body = rule->responseBody;
        answer.noStore = true;
        answerLocally(answer, "responded");
        return false;
      }
      case Rule::Action::kRedirect: {
        location_.clear();
        rule->redirect.render(facts_, location_);
        LocalAnswer answer;
        answer.status = rule->status;
        answer.location = location_;
        answerLocally(answer, "redirected");
        return false;
      }
    }
  }
  useGroup(group);
  return true;
}

void HttpExchange::redirectToHttps() {
  std::string_view host = host_;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  const std::string fallback = vip_->listen.ipString();
  if (host.empty()) host = fallback;
  location_.assign("https://").append(host);
  if (vip_->redirectHttps.port != 443) {
    location_.append(":").append(std::to_string(vip_->redirectHttps.port));
  }
  location_.append(path_);
  LocalAnswer answer;
  answer.status = vip_->redirectHttps.status;
  answer.location = location_;
  answerLocally(answer, "redirect_https");
}

// Sluice's own answer to the request (an error, a rule's deny, redirect or respond).
void HttpExchange::answerLocally(const LocalAnswer& answer, std::string_view end) {
  status_ = answer.status;
  phase_ = Phase::kAnswered;
  LocalAnswer sent = answer;
  sent.toHead = headRequest_;
  client_.sendLocalAnswer(sent);
  logRequest(answer.status, end);
}

// Switches the request to `group`.
void HttpExchange::useGroup(ServerGroup* group) {
  if (group == group_) return;
  group_ = group;
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
}

// What places this request in its group: the sticky cookie's server, and the key the group's
// hashing balances on.
void HttpExchange::prepareAffinity(const HttpRequestHead& head) {
  const ServerGroupConfig& group = group_->config();
  const StickyCookie::Stuck stuck = group.sticky.enabled
                                        ? StickyCookie::serverOf(group.sticky, head.headers)
                                        : StickyCookie::Stuck{};
  stickyServer_ = stuck.server;
  stickyReseal_ = stuck.reseal;
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
uint32_t HttpExchange::pickServer() {
  const TimePoint now = worker_.loop().now();
  if (stickyServer_ != ServerGroup::kNone && !tried_.contains(stickyServer_) &&
      group_->available(stickyServer_, now)) {
    return stickyServer_;
  }
  return group_->pick(tried_, affinityKey_, now);
}

void HttpExchange::connectNext(uint32_t chosen) {
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
    if (serverHttp2_) {
      if (connectHttp2()) return;
      if (shortOfResources(errno)) return;
      noteConnectFailure(std::strerror(errno));
      continue;
    }
    // A request without a body is sent again if the connection turns out closed: only one with
    // a body needs the pool to ask the socket.
    server_ = http_.pool.take(upstreamKey_, worker_.loop().now(), requestHasBody_);
    serverFromPool_ = server_.fd.valid();
    serverWatchesWritable_ = false;
    if (serverFromPool_) {
      // Registered since it was opened: taking it over costs no system call.
      server_.events->owner = &serverEndpoint_;
      serverWatchesWritable_ = server_.events->watched & EPOLLOUT;
    }
    if (serverFromPool_ || openConnection()) {
      group_->connectionOpened(serverIndex_);
      upstream_ = serverFromPool_ ? Upstream::kConnected : Upstream::kConnecting;
      // A pooled connection has nothing to read until the response comes, which its
      // registration reports to this exchange: no read is tried before.
      serverReadable_ = false;
      serverEvent_ = false;
      expectResponse();
      return;
    }
    const int error = errno;
    server_ = {};
    if (shortOfResources(error)) return;
    noteConnectFailure(std::strerror(error));
  }
}

// A connect that failed for want of Sluice's own resources (descriptors, memory, local ports)
// says nothing of the server: it is not held against it, and no other server is tried (each
// would fail the same way). The client gets a 503 it may retry.
bool HttpExchange::shortOfResources(int error) {
  if (!isLocalResourceError(error)) return false;
  lastConnectError_.assign(std::strerror(error));
  worker_.noteResourceShortage(error);
  respondError(503, "out_of_resources");
  return true;
}

// A new TCP connection to the chosen server, registered with the loop (the connect completes
// later: checkConnected()).
bool HttpExchange::openConnection() {
  group_->counters(serverIndex_).connections.add();
  connectStarted_ = worker_.loop().now();
  server_.fd = connectTcp(group_->config().servers[serverIndex_].address);
  serverWatchesWritable_ = true;
  if (!server_.fd.valid()) return false;
  server_.events.reset(new UpstreamEvents);
  server_.events->owner = &serverEndpoint_;
  server_.events->watched = kAllEvents;
  server_.events->loop = &worker_.loop();
  return worker_.loop().add(server_.fd.get(), kAllEvents, server_.events.get());
}

void HttpExchange::noteConnectFailure(std::string_view why) {
  lastConnectError_.assign(why);
  group_->counters(serverIndex_).connectFailures.add();
  noteServerFailure(why);
}

// The key under which connections and TLS sessions to the chosen server are shared: only one
// made exactly as this request needs it may be reused (same server, and for TLS the same
// trust, SNI and verified name).
void HttpExchange::buildUpstreamKey() {
  const ServerGroupConfig& group = group_->config();
  const ServerConfig& server = group.servers[serverIndex_];
  upstreamKey_ = upstreamAddressKey(server.address);
  if (serverHttp2_) upstreamKey_.append("|h2");
  if (!group.tlsContext) return;
  upstreamSni_ = server.tlsSni;
  upstreamVerifyName_ = server.tlsVerifyName;
  if (group.tls.sniFromClient) {
    // The client's own name, as it asked for it, when it sent one we can pass on.
    std::string name;
    if (normaliseHostName(clientTransport_->serverName(), name)) {
      upstreamSni_ = name;
      if (group.tls.verifyName.empty()) upstreamVerifyName_ = name;
    }
  }
  upstreamKey_.append("|").append(group.tlsContext->identity());
  upstreamKey_.append("|sni=").append(upstreamSni_).append("|name=").append(upstreamVerifyName_);
}

// A server connection is ready (or being made) for the current request: get ready to read its
// response. The connect and response deadlines count from here.
void HttpExchange::expectResponse() {
  requestSent_ = worker_.loop().now();
  if (!up_.data) up_ = worker_.buffers().acquire(kServerBufferSize);
  response_.reset(headRequest_);
  expectingResponse_ = true;
}

// While connecting: has the connect finished? (Readiness is edge-reported, and a wake-up does
// not say which socket it came from, so ask the socket.)
bool HttpExchange::checkConnected() {
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
                                          http_.backendSessions.find(upstreamKey_));
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
bool HttpExchange::handshakeUpstream() {
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

bool HttpExchange::writeUpstream() {
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
    if (upgraded_ && clientDoneSending_) shutdownServerWrite();
  }
  return true;
}

// An upgraded connection's client finished sending: pass the half-close on.
void HttpExchange::shutdownServerWrite() {
  server_.transport.shutdown();
  ::shutdown(server_.fd.get(), SHUT_WR);
}

bool HttpExchange::readUpstream() {
  if (upstream_ != Upstream::kConnected) return false;
  if (client_.responseBacklog() >= kMaxPending) return false;
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

void HttpExchange::parseResponse() {
  if (upgraded_) {
    toClient_->append(up_.data.get() + upStart_, upEnd_ - upStart_);
    upStart_ = upEnd_ = 0;
    return;
  }
  while (expectingResponse_) {
    // Body bytes reach the client's sink through the parser, framed for that client.
    const size_t before = toClient_ ? toClient_->size() : 0;
    const auto result = response_.feed(up_.data.get() + upStart_, upEnd_ - upStart_);
    if (toClient_) responseBytes_ += toClient_->size() - before;
    upStart_ += result.consumed;
    switch (result.event) {
      case Http1ResponseParser::Event::kNeedMore:
        if (responseHeadSeen_ && upStart_ == upEnd_) upStart_ = upEnd_ = 0;
        return;
      case Http1ResponseParser::Event::kError:
        if (responseStarted_) {
          client_.abort("server_error");
        } else {
          respondError(502, "invalid response");
        }
        return;
      case Http1ResponseParser::Event::kHeadComplete:
        useResponseHead(response_.head());
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

// A response head from the server (HTTP/1.1 or HTTP/2): an interim one goes to the client as
// it is; the final one is counted for the server's health, gets the rules' edits and the
// sticky cookie, and says where its body goes.
void HttpExchange::useResponseHead(const HttpResponseHead& head) {
  const std::string_view hsts = head.status >= 200 ? std::string_view(vip_->hstsValue) : "";
  if (head.upgrade && !requestUpgrade_) {
    respondError(502, "101 to a request that asked for no upgrade");
    return;
  }
  if (head.status < 200 && !head.upgrade) {
    responseBytes_ += client_.sendInterimHead(head, hsts);  // the final response follows
    return;
  }
  responseHeadSeen_ = true;
  responseStarted_ = true;
  responseHeadAt_ = worker_.loop().now();
  if (head.status >= 500) {
    // The reason is only spelt out when it ejects the server: no string per 5xx answer.
    if (group_->noteFailure(serverIndex_, responseHeadAt_)) {
      worker_.reportEjection(group_->config(), serverIndex_,
                             "HTTP status " + std::to_string(head.status));
    }
  } else {
    group_->noteSuccess(serverIndex_);
  }
  status_ = static_cast<int>(head.status);
  ClientResponseContext context;
  context.hsts = hsts;
  if (!decision_.responseEdits.empty()) context.edits = &decision_.responseEdits;
  const StickyCookieConfig& sticky = group_->config().sticky;
  stickyLine_.clear();
  if (sticky.enabled && (serverIndex_ != stickyServer_ || stickyReseal_)) {
    // First pick, or the cookie's server could not be used: send the client to this one. Or
    // the cookie is good but old: the same server, sealed anew.
    const bool secure =
        sticky.secure == StickyCookieConfig::Secure::kAlways ||
        (sticky.secure == StickyCookieConfig::Secure::kAuto && vip_->terminatesTls());
    StickyCookie::appendSetCookie(sticky, serverIndex_, secure, stickyLine_);
    context.extraLines = stickyLine_;
  }
  size_t written = 0;
  const ResponseBodySink sink = client_.sendResponseHead(head, context, written);
  responseBytes_ += written;
  toClient_ = sink.out;
  if (http2_) {
    h2_->framer.start(sink.out, sink.mode, kMaxHttp2TrailerBytes, vip_->request.maxHeaders);
  } else {
    response_.frameBody(sink.out, sink.mode);
  }
  if (head.upgrade) {
    upgraded_ = true;
    counters_->upgraded.add();
    logRequest(status_, "upgraded");
  }
}

void HttpExchange::onResponseComplete() {
  const bool reusable = response_.head().keepAlive && phase_ == Phase::kSent &&
                        toServerSent_ == toServer_.size() && upStart_ == upEnd_ &&
                        !server_.transport.hasBufferedInput();
  // A chunked body's trailers: an HTTP/1 client got them after the last chunk already; an
  // HTTP/2 one gets them as their own HEADERS frame.
  if (const std::vector<HttpHeader>& trailers = response_.trailers(); !trailers.empty()) {
    client_.sendTrailers(trailers);
  }
  logRequest(status_, "ok");
  if (server_.transport.tls() && !server_.tlsSessionKept) keepServerSession();
  releaseUpstream(reusable);
  expectingResponse_ = false;
  phase_ = Phase::kAnswered;
  client_.responseComplete();
}

// After a TLS server's first response its session tickets have arrived (TLS 1.3 sends them
// after the handshake): keep the session so that the next new connection to this server
// resumes it. Once per connection.
void HttpExchange::keepServerSession() {
  server_.tlsSessionKept = true;
  http_.backendSessions.store(upstreamKey_, server_.transport.ssl());
}

void HttpExchange::onUpstreamClosed(bool cleanEof) {
  if (upgraded_) {
    releaseUpstream(false);
    client_.closeWhenFlushed();
    return;
  }
  if (responseHeadSeen_ && cleanEof && response_.finishAtEof()) {
    onResponseComplete();  // a body delimited by the close (the client closes after it)
    return;
  }
  if (responseStarted_) {
    client_.abort("server_error");  // cut short mid-response: it must not be taken as whole
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
    const int error = errno;
    server_ = {};
    if (shortOfResources(error)) return;
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
bool HttpExchange::retryableElsewhere() const {
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
void HttpExchange::noteServerFailure(std::string_view why) {
  const TimePoint now = worker_.loop().now();
  if (group_->noteFailure(serverIndex_, now)) {
    worker_.reportEjection(group_->config(), serverIndex_, why);
  }
}

void HttpExchange::respondError(int status, std::string_view reason) {
  if (responseStarted_) {
    client_.abort(reason);
    return;
  }
  releaseUpstream(false);
  expectingResponse_ = false;
  answerLocally(errorAnswer(status), reason);
}

// Lets go of the server connection. What was queued for the server stays queued: after a
// failed connect the request goes to the next server as it is.
void HttpExchange::releaseUpstream(bool reusable) {
  if (upstream_ == Upstream::kNone) return;
  if (http2_) {
    releaseHttp2();
    return;
  }
  // From now on the socket's events reach no exchange: an event of this batch still pending
  // for it must not reach this object once it serves another request.
  if (server_.events) server_.events->owner = nullptr;
  group_->connectionClosed(serverIndex_);
  if (reusable) {
    server_.events->owner = nullptr;  // still registered: the pool drops what it reports
    http_.pool.give(upstreamKey_, std::move(server_), worker_.loop().now());
  } else if (upstream_ == Upstream::kConnected) {
    server_.transport.shutdown();  // close_notify, so the server sees an orderly close
  }
  server_ = {};
  upstream_ = Upstream::kNone;
  upStart_ = upEnd_ = 0;
}

void HttpExchange::next() {
  phase_ = Phase::kReadingHead;
  headRequest_ = requestUpgrade_ = false;
  serverHttp2_ = false;
  // Whatever the last server did not take (it answered before the whole body) is dropped.
  toServer_.clear();
  toServerSent_ = 0;
  responseHeadSeen_ = responseStarted_ = false;
  requestBytes_ = responseBytes_ = 0;
  attempts_ = 0;
  lastConnectError_.clear();
  status_ = 0;
  method_.clear();
  host_.clear();
  path_.clear();
  decision_.clear();
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
  expectingResponse_ = false;
  toClient_ = nullptr;
  // An idle keep-alive connection holds no buffers.
  worker_.buffers().release(std::move(up_));
  up_ = {};
}

void HttpExchange::close() {
  queued_.cancel();
  if (h2_) h2_->wakeSoon.cancel();
  releaseUpstream(false);
  expectingResponse_ = false;
}

bool HttpExchange::closeIfUsing(const ServerHealth& server) {
  return upstream_ != Upstream::kNone && serverIndex_ != ServerGroup::kNone &&
         group_->healthOf(serverIndex_) == &server;
}

bool HttpExchange::relayTargetGoneIn(const WorkerConfig& newest, const VipConfig* successor) const {
  return !successor || !newest.stillHas(group_->config(), serverIndex_);
}

std::pair<TimePoint, HttpExchange::Deadline> HttpExchange::deadline(
    TimePoint lastClientByte, TimePoint clientActivity) const {
  const TimePoint activity = std::max(lastActivity_, clientActivity);
  if (upgraded_) return {activity + group_->config().idleTimeout, Deadline::kIdle};
  if (upstream_ == Upstream::kConnecting || upstream_ == Upstream::kHandshaking) {
    return {requestSent_ + group_->config().connectTimeout, Deadline::kConnect};
  }
  // A body that stops arriving, while Sluice is waiting for it (not while the server is slow
  // to take what it was sent).
  if (phase_ == Phase::kSendingBody && serverBacklog() < kMaxPending) {
    return {lastClientByte + vip_->clientBodyTimeout, Deadline::kBody};
  }
  if (phase_ == Phase::kSent && !responseHeadSeen_) {
    return {requestSent_ + vip_->serverResponseTimeout, Deadline::kResponse};
  }
  return {activity + group_->config().idleTimeout, Deadline::kIdle};
}

void HttpExchange::onDeadline(Deadline what) {
  switch (what) {
    case Deadline::kBody:
      respondError(408, "client_body_timeout");
      return;
    case Deadline::kConnect:
      noteConnectFailure(upstream_ == Upstream::kHandshaking ? "TLS handshake timed out"
                                                             : std::strerror(ETIMEDOUT));
      releaseUpstream(false);
      connectNext();
      return;
    case Deadline::kResponse:
      noteServerFailure("no response in time");
      respondError(504, "server_response_timeout");
      return;
    case Deadline::kIdle:
      client_.abort("idle_timeout");
      return;
  }
}

void HttpExchange::logRequest(int status, std::string_view end) {
  const TimePoint now = worker_.loop().now();
  if (status != 0) counters_->answered(status, microsBetween(requestStart_, now));
  if (!worker_.accessLog().enabled()) return;
  AccessLogLine& line = worker_.logLine().begin();
  line.field("vip", vip_->name).field("service", toString(vip_->service));
  line.field("client", peerText());
  line.field("method", method_).field("host", host_).field("path", path_);
  line.field("protocol", protocol_);
  line.field("status", static_cast<uint64_t>(status));
  if (decision_.terminal && phase_ != Phase::kReadingHead) {
    line.field("rule", decision_.terminal->name);
  }
  if (group_ != defaultGroup_) line.field("group", group_->config().name);
  if (serverIndex_ != ServerGroup::kNone) {
    line.field("server", group_->config().servers[serverIndex_].name);
  }
  line.field("bytes_in", requestBytes_).field("bytes_out", responseBytes_);
  if (responseHeadSeen_) line.field("upstream_ms", millisBetween(requestSent_, responseHeadAt_));
  line.field("duration_ms", millisBetween(requestStart_, now));
  if (clientTransport_->tls()) {
    line.field("tls_version", clientTransport_->tlsVersion())
        .field("tls_cipher", clientTransport_->cipher());
  }
  line.field("end", end);
  // Why no server answered, as the tcp service logs it.
  if (!responseHeadSeen_ && !lastConnectError_.empty()) line.field("error", lastConnectError_);
  worker_.accessLog().write(line.finish());
}

}  // namespace sluice
