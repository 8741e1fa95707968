#include "l4/l4_proxy_session.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "net/proxy_protocol.h"
#include "worker/worker_services.h"

namespace sluice {
namespace {

constexpr uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

uint64_t millisSince(TimePoint start, TimePoint now) {
  return static_cast<uint64_t>(std::chrono::duration_cast<Millis>(now - start).count());
}

}  // namespace

L4ProxySession::L4ProxySession(WorkerServices& worker, std::shared_ptr<const WorkerConfig> config,
                               const VipConfig& vip, UniqueFd client, const SocketAddress& peer)
    : worker_(worker),
      config_(std::move(config)),
      vip_(vip),
      counters_(config_->vipCounters(vip)),
      client_(std::move(client)),
      peer_(peer),
      timer_(worker.loop().timers(), [this] { onTimer(); }),
      started_(worker.loop().now()),
      lastActivity_(started_) {}

L4ProxySession::~L4ProxySession() {
  worker_.buffers().release(std::move(peekBuffer_));
}

void L4ProxySession::start() {
  if (!worker_.loop().add(client_.get(), kRelayEvents, &clientEndpoint_)) {
    finish("internal_error", errno);
    return;
  }
  if (vip_.service == ServiceType::kHttpsPassthrough || vip_.mixesModes()) {
    phase_ = Phase::kPeeking;
    peekBuffer_ = worker_.buffers().acquire(vip_.clientHelloMax);
    hello_.emplace(vip_.clientHelloMax);
    timer_.armAt(worker_.loop().now() + vip_.peekTimeout);
    peek();
    return;
  }
  group_ = config_->groups[vip_.defaultGroupIndex].get();
  beginConnecting();
}

// Reads what the client has sent until the ClientHello is complete, or proves not to be one.
void L4ProxySession::peek() {
  const size_t limit = std::min(peekBuffer_.size, vip_.clientHelloMax);
  while (phase_ == Phase::kPeeking) {
    const ssize_t n = ::recv(client_.get(), peekBuffer_.data.get() + peeked_, limit - peeked_, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      finish("client_error", errno);
      return;
    }
    if (n == 0) {
      finish("client_close");  // gone before finishing its ClientHello
      return;
    }
    peeked_ += static_cast<size_t>(n);
    const auto status = hello_->feed(std::string_view(peekBuffer_.data.get(), peeked_));
    switch (status) {
      case ClientHelloPeek::Status::kNeedMore:
        continue;
      case ClientHelloPeek::Status::kComplete:
        if (route()) beginConnecting();
        return;
      case ClientHelloPeek::Status::kNotTls:
        counters_.peek(PeekResult::kNotTls);
        break;
      case ClientHelloPeek::Status::kMalformed:
        counters_.peek(PeekResult::kMalformed);
        break;
      case ClientHelloPeek::Status::kTooLarge:
        counters_.peek(PeekResult::kTooLarge);
        break;
    }
    finish(ClientHelloPeek::toString(status));
    return;
  }
}

// Chooses the server group from the ClientHello's server name. On a terminating VIP, names
// without a passthrough route (and clients without SNI) are handed to the HTTP proxy.
bool L4ProxySession::route() {
  const ClientHelloInfo& info = hello_->info();
  if (vip_.mixesModes()) {
    const size_t routed = info.sni.empty() ? SniRouter::kNoRoute : vip_.sniRouter->route(info.sni);
    if (routed == SniRouter::kNoRoute) {
      counters_.peek(PeekResult::kTerminated);
      handOffToTermination();
      return false;
    }
    counters_.peek(PeekResult::kRouted);
    group_ = config_->groups[routed].get();
    return true;
  }
  size_t group = vip_.defaultGroupIndex;
  if (info.sni.empty()) {
    if (vip_.noSni == NoSniPolicy::kReject) {
      counters_.peek(PeekResult::kNoSni);
      finish("no_sni");
      return false;
    }
  } else if (size_t routed = vip_.sniRouter->route(info.sni); routed != SniRouter::kNoRoute) {
    group = routed;
  }
  if (group == kNoGroup) {
    counters_.peek(PeekResult::kNoRoute);
    finish("no_route");
    return false;
  }
  counters_.peek(PeekResult::kRouted);
  group_ = config_->groups[group].get();
  return true;
}

// The connection is the VIP's to terminate: the HTTP proxy takes the socket (still registered
// with the loop: it rebinds it, one syscall) and the bytes read so far, which its TLS engine
// consumes first (no second read, no push-back). This session ends without a log line; the
// HTTP session logs the connection.
void L4ProxySession::handOffToTermination() {
  phase_ = Phase::kClosed;
  timer_.cancel();
  BufferPool::Buffer peeked = std::move(peekBuffer_);
  peekBuffer_ = {};
  worker_.startHttpSession(config_, vip_, std::move(client_), peer_, std::move(peeked), peeked_);
  worker_.sessionClosed(this);
}

void L4ProxySession::beginConnecting() {
  phase_ = Phase::kConnecting;
  tried_ = ServerMask(static_cast<uint32_t>(group_->size()));
  connectNext();
}

void L4ProxySession::connectNext() {
  const ServerGroupConfig& group = group_->config();
  while (phase_ == Phase::kConnecting) {
    if (attempts_ > group.retries) {
      finish("connect_failed", lastConnectError_);
      return;
    }
    serverIndex_ = group_->pick(tried_, peer_.ipBytes(), worker_.loop().now());
    if (serverIndex_ == ServerGroup::kNone) {
      finish(attempts_ == 0 ? "no_server" : "connect_failed", lastConnectError_);
      return;
    }
    tried_.insert(serverIndex_);
    ++attempts_;
    group_->connectionOpened(serverIndex_);
    group_->counters(serverIndex_).connections.add();
    connectStarted_ = worker_.loop().now();
    server_ = connectTcp(group.servers[serverIndex_].address);
    if (!server_.valid() || !worker_.loop().add(server_.get(), kRelayEvents, &serverEndpoint_)) {
      const int error = errno;
      if (isLocalResourceError(error)) {
        // Sluice's own shortage (descriptors, memory, local ports): not the server's fault, and
        // every other server would fail the same way.
        closeServer();
        lastConnectError_ = error;
        worker_.noteResourceShortage(error);
        finish("out_of_resources", error);
        return;
      }
      onConnectFailed(error);  // refused at once: try the next server
      continue;
    }
    timer_.armAt(worker_.loop().now() + group.connectTimeout);
    return;
  }
}

void L4ProxySession::onConnectFailed(int error) {
  group_->counters(serverIndex_).connectFailures.add();
  lastConnectError_ = error;
  if (group_->noteFailure(serverIndex_, worker_.loop().now())) {
    worker_.reportEjection(group_->config(), serverIndex_, std::strerror(error));
  }
  closeServer();
}

void L4ProxySession::closeServer() {
  if (serverIndex_ != ServerGroup::kNone) group_->connectionClosed(serverIndex_);
  if (server_.valid()) {
    worker_.loop().remove(server_.get());
    server_.reset();
  }
}

void L4ProxySession::onConnected() {
  const ServerGroupConfig& group = group_->config();
  group_->noteSuccess(serverIndex_);
  group_->counters().connectDuration.observeMicros(
      microsBetween(connectStarted_, worker_.loop().now()));
  if (group.proxyProtocol != ProxyProtocol::kOff) {
    const SocketAddress vipAddress = localAddress(client_.get());
    if (group.proxyProtocol == ProxyProtocol::kV1) {
      appendProxyV1(peer_, vipAddress, proxyHeader_);
    } else {
      const ClientHelloInfo* info = hello_ ? &hello_->info() : nullptr;
      appendProxyV2(peer_, vipAddress, info ? std::string_view(info->sni) : "",
                    info && !info->alpn.empty() ? std::string_view(info->alpn[0]) : "",
                    proxyHeader_);
    }
  }
  phase_ = Phase::kSendingPrefix;
  lastActivity_ = worker_.loop().now();
  timer_.armAt(lastActivity_ + group.idleTimeout);
  sendPrefix();
}

// Writes the PROXY header and the peeked ClientHello to the server, as much as it takes now.
void L4ProxySession::sendPrefix() {
  const size_t total = proxyHeader_.size() + peeked_;
  while (prefixSent_ < total) {
    iovec parts[2];
    int count = 0;
    if (prefixSent_ < proxyHeader_.size()) {
      parts[count++] = {proxyHeader_.data() + prefixSent_, proxyHeader_.size() - prefixSent_};
    }
    const size_t peekOffset =
        prefixSent_ > proxyHeader_.size() ? prefixSent_ - proxyHeader_.size() : 0;
    if (peeked_ > peekOffset) {
      parts[count++] = {peekBuffer_.data.get() + peekOffset, peeked_ - peekOffset};
    }
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = static_cast<size_t>(count);
    const ssize_t n = ::sendmsg(server_.get(), &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;  // EPOLLOUT brings us back
      finish("server_error", errno);
      return;
    }
    prefixSent_ += static_cast<size_t>(n);
  }
  worker_.buffers().release(std::move(peekBuffer_));
  peekBuffer_ = {};
  startRelay();
}

void L4ProxySession::onIo(bool fromClient, uint32_t events) {
  switch (phase_) {
    case Phase::kClosed:
      return;  // closed earlier in this batch
    case Phase::kPeeking:
      if (fromClient) peek();
      return;
    case Phase::kConnecting:
    case Phase::kSendingPrefix:
      if (fromClient) {
        // Bytes the client sends now wait in its socket buffer for the relay; only a dead
        // client is worth acting on.
        if (events & (EPOLLERR | EPOLLHUP)) finish("client_error", ECONNRESET);
        return;
      }
      if (phase_ == Phase::kSendingPrefix) {
        sendPrefix();
      } else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
        const int error = connectResult(server_.get());
        if (error == 0) {
          onConnected();
        } else {
          onConnectFailed(error);
          connectNext();
        }
      }
      return;
    case Phase::kRelaying:
      pump(fromClient, events);
      return;
  }
}

void L4ProxySession::startRelay() {
  phase_ = Phase::kRelaying;
  relay_.emplace(worker_.pipes(), client_.get(), server_.get());
  // Readiness that arrived before the relay was edge-reported already: pump now rather than
  // wait for an edge that may never come.
  pump();
}

void L4ProxySession::pump(bool fromClient, uint32_t events) {
  const SpliceRelay::State state =
      events == 0
          ? relay_->pump()
          : relay_->onEvent(fromClient ? SpliceRelay::Side::kClient : SpliceRelay::Side::kServer,
                            events);
  if (relay_->takeActivity()) {
    lastActivity_ = worker_.loop().now();
    countRelayedBytes();
  }
  switch (state) {
    case SpliceRelay::State::kActive:
      return;
    case SpliceRelay::State::kFinished:
      finish(relay_->clientClosedFirst() ? "client_close" : "server_close");
      return;
    case SpliceRelay::State::kClientError:
      finish("client_error", relay_->lastErrno());
      return;
    case SpliceRelay::State::kServerError:
      finish("server_error", relay_->lastErrno());
      return;
    case SpliceRelay::State::kLocalError:
      finish("internal_error", relay_->lastErrno());
      return;
  }
}

void L4ProxySession::onTimer() {
  switch (phase_) {
    case Phase::kClosed:
      return;
    case Phase::kPeeking:
      counters_.peek(PeekResult::kTimeout);
      finish("peek_timeout");
      return;
    case Phase::kConnecting:
      onConnectFailed(ETIMEDOUT);
      connectNext();
      return;
    case Phase::kSendingPrefix:
    case Phase::kRelaying: {
      // The idle deadline is re-armed lazily: traffic only moves lastActivity_, and the timer,
      // when it fires, either finds the connection idle or moves itself to the new deadline.
      const TimePoint deadline = lastActivity_ + group_->config().idleTimeout;
      if (worker_.loop().now() >= deadline) {
        finish("idle_timeout");
      } else {
        timer_.armAt(deadline);
      }
      return;
    }
  }
}

void L4ProxySession::writeAccessLog(std::string_view end, int error) {
  AccessLogLine& line = worker_.logLine().begin();
  line.field("vip", vip_.name).field("service", toString(vip_.service));
  if (vip_.mixesModes()) line.field("mode", "passthrough");
  line.field("client", peer_.toString());
  if (hello_ && !hello_->info().sni.empty()) line.field("sni", hello_->info().sni);
  if (hello_ && !hello_->info().alpn.empty()) {
    std::string alpn;
    for (const auto& protocol : hello_->info().alpn) {
      alpn.append(alpn.empty() ? "" : ",").append(protocol);
    }
    line.field("alpn", alpn);
  }
  if (group_ && serverIndex_ != ServerGroup::kNone) {
    const ServerConfig& server = group_->config().servers[serverIndex_];
    line.field("group", group_->config().name)
        .field("server", server.name)
        .field("server_address", server.address.toString());
  }
  line.field("attempts", attempts_)
      .field("bytes_in", peeked_ + (relay_ ? relay_->bytesFromClient() : 0))
      .field("bytes_out", relay_ ? relay_->bytesFromServer() : 0)
      .field("duration_ms", millisSince(started_, worker_.loop().now()))
      .field("end", end);
  if (error != 0) line.field("error", std::strerror(error));
  worker_.accessLog().write(line.finish());
}

// A relay keeps the config it started with (its bytes are not requests to re-route); it drains
// only when its VIP, or the server it relays to, is gone.
bool L4ProxySession::configPublished(const std::shared_ptr<const WorkerConfig>& newest) {
  if (phase_ == Phase::kClosed) return false;
  if (!newest->successorOf(vip_)) return true;
  return serverIndex_ != ServerGroup::kNone && !newest->stillHas(group_->config(), serverIndex_);
}

bool L4ProxySession::closeIfUsing(const ServerHealth& server) {
  if (phase_ == Phase::kClosed || serverIndex_ == ServerGroup::kNone ||
      group_->healthOf(serverIndex_) != &server) {
    return false;
  }
  finish("closed_by_operator");
  return true;
}

// Counted as they move, not at the close: a long download shows in the metrics while it runs.
void L4ProxySession::countRelayedBytes() {
  const uint64_t in = peeked_ + relay_->bytesFromClient();
  const uint64_t out = relay_->bytesFromServer();
  counters_.bytesIn.add(in - countedIn_);
  counters_.bytesOut.add(out - countedOut_);
  countedIn_ = in;
  countedOut_ = out;
}

void L4ProxySession::finish(std::string_view end, int error) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  if (relay_) countRelayedBytes();
  counters_.closedAs(end);
  timer_.cancel();
  if (worker_.accessLog().enabled()) writeAccessLog(end, error);
  relay_.reset();
  if (server_.valid()) closeServer();
  worker_.loop().remove(client_.get());
  client_.reset();
  worker_.sessionClosed(this);
}

}  // namespace sluice
