#include "l4/tcp_proxy_session.h"

#include <cerrno>
#include <cstring>

#include "server/worker.h"

namespace sluice {
namespace {

constexpr uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

}  // namespace

TcpProxySession::TcpProxySession(Worker& worker, std::shared_ptr<const WorkerConfig> config,
                                 const VipConfig& vip, UniqueFd client, const SocketAddress& peer)
    : worker_(worker),
      config_(std::move(config)),
      vip_(vip),
      group_(*config_->groups[vip.defaultGroupIndex]),
      client_(std::move(client)),
      peer_(peer),
      tried_(static_cast<uint32_t>(group_.size())),
      timer_(worker.loop().timers(), [this] { onTimer(); }),
      started_(worker.loop().now()),
      lastActivity_(started_) {}

TcpProxySession::~TcpProxySession() = default;

void TcpProxySession::start() {
  if (!worker_.loop().add(client_.get(), kRelayEvents, &clientEndpoint_)) {
    finish("internal_error", errno);
    return;
  }
  connectNext();
}

void TcpProxySession::connectNext() {
  const ServerGroupConfig& group = group_.config();
  while (phase_ == Phase::kConnecting) {
    if (attempts_ > group.retries) {
      finish("connect_failed", lastConnectError_);
      return;
    }
    serverIndex_ = group_.pick(tried_, peer_.ipBytes());
    if (serverIndex_ == ServerGroup::kNone) {
      finish(attempts_ == 0 ? "no_server" : "connect_failed", lastConnectError_);
      return;
    }
    tried_.insert(serverIndex_);
    ++attempts_;
    group_.connectionOpened(serverIndex_);
    server_ = connectTcp(group.servers[serverIndex_].address);
    if (!server_.valid() || !worker_.loop().add(server_.get(), kRelayEvents, &serverEndpoint_)) {
      onConnectFailed(errno);  // refused at once (e.g. out of ports): try the next server
      continue;
    }
    timer_.armAt(worker_.loop().now() + group.connectTimeout);
    return;
  }
}

void TcpProxySession::onConnectFailed(int error) {
  worker_.counters().connectFailures.fetch_add(1, std::memory_order_relaxed);
  lastConnectError_ = error;
  closeServer();
}

void TcpProxySession::closeServer() {
  if (serverIndex_ != ServerGroup::kNone) group_.connectionClosed(serverIndex_);
  if (server_.valid()) {
    worker_.loop().remove(server_.get());
    server_.reset();
  }
}

void TcpProxySession::onIo(bool fromClient, uint32_t events) {
  switch (phase_) {
    case Phase::kClosed:
      return;  // closed earlier in this batch
    case Phase::kConnecting:
      if (fromClient) {
        // Bytes the client sends early wait in its socket buffer for the relay; only a dead
        // client is worth acting on now.
        if (events & (EPOLLERR | EPOLLHUP)) finish("client_error", ECONNRESET);
        return;
      }
      if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
        const int error = connectResult(server_.get());
        if (error == 0) {
          startRelay();
        } else {
          onConnectFailed(error);
          connectNext();
        }
      }
      return;
    case Phase::kRelaying:
      pump();
      return;
  }
}

void TcpProxySession::startRelay() {
  phase_ = Phase::kRelaying;
  relay_.emplace(worker_.pipes(), client_.get(), server_.get());
  lastActivity_ = worker_.loop().now();
  timer_.armAt(lastActivity_ + group_.config().idleTimeout);
  // Readiness that arrived while connecting was edge-reported already: pump now rather than
  // wait for an edge that may never come.
  pump();
}

void TcpProxySession::pump() {
  const SpliceRelay::State state = relay_->pump();
  if (relay_->takeActivity()) lastActivity_ = worker_.loop().now();
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

void TcpProxySession::onTimer() {
  if (phase_ == Phase::kConnecting) {
    onConnectFailed(ETIMEDOUT);
    connectNext();
    return;
  }
  // The idle deadline is re-armed lazily: traffic only moves lastActivity_, and the timer, when
  // it fires, either finds the connection idle or moves itself to the new deadline.
  const TimePoint deadline = lastActivity_ + group_.config().idleTimeout;
  if (worker_.loop().now() >= deadline) {
    finish("idle_timeout");
  } else {
    timer_.armAt(deadline);
  }
}

void TcpProxySession::finish(std::string_view end, int error) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  timer_.cancel();

  if (worker_.accessLog().enabled()) {
    AccessLogLine& line = worker_.logLine().begin();
    line.field("vip", vip_.name).field("service", "tcp").field("client", peer_.toString());
    if (serverIndex_ != ServerGroup::kNone) {
      const ServerConfig& server = group_.config().servers[serverIndex_];
      line.field("server", server.name).field("server_address", server.address.toString());
    }
    line.field("attempts", attempts_)
        .field("bytes_in", relay_ ? relay_->bytesFromClient() : 0)
        .field("bytes_out", relay_ ? relay_->bytesFromServer() : 0)
        .field("duration_ms",
               static_cast<uint64_t>(
                   std::chrono::duration_cast<Millis>(worker_.loop().now() - started_).count()))
        .field("end", end);
    if (error != 0) line.field("error", std::strerror(error));
    worker_.accessLog().write(line.finish());
  }

  relay_.reset();
  if (server_.valid()) closeServer();
  worker_.loop().remove(client_.get());
  client_.reset();
  worker_.sessionClosed(this);
}

}  // namespace sluice
