#include "server/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/units.h"
#include "http/proxy/http2_proxy_session.h"
#include "http/proxy/http_proxy_session.h"
#include "l4/l4_proxy_session.h"

namespace sluice {
namespace {

// Empty pipes a worker keeps for reuse; beyond that, released pipes are closed.
constexpr size_t kMaxIdlePipes = 256;
// Idle buffers (ClientHello peeks, HTTP) a worker keeps per size class.
constexpr size_t kMaxIdleBuffers = 64;
// Idle keep-alive connections to HTTP servers a worker keeps per server and in all, and for
// how long; the pool is swept every second (connections past their idle time, and those their
// server closed). Past 256 per server, the oldest idle connection makes room.
constexpr size_t kMaxIdlePerServer = 256;
constexpr size_t kMaxIdleUpstreams = 4096;
constexpr Millis kMaxIdleUpstream{30000};
constexpr Millis kPoolSweepInterval{1000};
// Backend TLS sessions a worker keeps for resumption (one per server and SNI).
constexpr size_t kMaxBackendSessions = 4096;

}  // namespace

// Accepts on one SO_REUSEPORT socket and hands each connection to the worker. The socket is
// level-triggered and one connection is taken per wake-up (as NGINX does by default): no
// accept() ends in EAGAIN, and a burst is spread over loop iterations, between other work.
class Worker::Listener final : public IoHandler {
 public:
  Listener(Worker& worker, ListenSocket socket)
      : worker_(worker), socket_(socket), retry_(worker.loop().timers(), [this] { resume(); }) {
    worker_.loop().addLevelTriggered(socket_.fd, EPOLLIN, this);
  }
  ~Listener() { worker_.loop().remove(socket_.fd); }

  void onIo(uint32_t) override { acceptOne(); }
  int fd() const { return socket_.fd; }
  // A reload may give the address to another VIP (the seeds' passthrough-to-offload switch).
  void serve(size_t vipIndex) { socket_.vipIndex = vipIndex; }

 private:
  void acceptOne() {
    for (;;) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      const int fd = ::accept4(socket_.fd, reinterpret_cast<sockaddr*>(&peer), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        worker_.onAccept(socket_.vipIndex, UniqueFd(fd),
                         SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&peer), len));
        return;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Level-triggered: the waiting connections would wake the loop again at once, and
        // fail again. Stop listening for them until some descriptors have been freed.
        logWarn(std::string("accept: ") + std::strerror(errno) + "; retrying in 100ms");
        worker_.loop().changeLevelTriggered(socket_.fd, 0, this);
        retry_.armAt(worker_.loop().now() + Millis(100));
      }
      return;  // EAGAIN (another worker was quicker), or an error the retry covers
    }
  }

  void resume() { worker_.loop().changeLevelTriggered(socket_.fd, EPOLLIN, this); }

  Worker& worker_;
  ListenSocket socket_;
  Timer retry_;
};

Worker::Worker(unsigned id, std::shared_ptr<const WorkerConfig> config,
               const std::vector<ListenSocket>& listeners, const AccessLog& accessLog)
    : WorkerServices(id, config->snapshot->global.pipeSize, kMaxIdlePipes, kMaxIdleBuffers,
                     accessLog),
      http_(*this, {kMaxIdlePerServer, kMaxIdleUpstreams, kMaxIdleUpstream, kMaxBackendSessions}),
      random_(0xd1a1 + id),
      poolSweep_(loop_.timers(), [this] { sweepPool(); }) {
  adopt(std::move(config), listeners);
  poolSweep_.armAt(loop_.now() + kPoolSweepInterval);
}

void Worker::sweepPool() {
  http_.pool.sweep(loop_.now());
  poolSweep_.armAt(loop_.now() + kPoolSweepInterval);
}

Worker::~Worker() = default;

void Worker::run() {
  loop_.run();
  listeners_.clear();
  abortAll("shutdown");  // none are left after a drain; this only covers an early stop
  http_.http2.closeAll();
  finished_.store(true, std::memory_order_release);
}

void Worker::publish(std::shared_ptr<const WorkerConfig> config,
                     std::vector<ListenSocket> listeners, std::function<void()> done) {
  loop_.post([this, config = std::move(config), listeners = std::move(listeners),
              done = std::move(done)]() mutable {
    if (!draining_) adopt(std::move(config), listeners);
    done();
  });
}

void Worker::adopt(std::shared_ptr<const WorkerConfig> config,
                   const std::vector<ListenSocket>& listeners) {
  const ConfigSnapshot& snapshot = *config->snapshot;
  const unsigned workers = snapshot.workerCount();
  maxSessions_ = (snapshot.global.maxConnections + workers - 1) / workers;
  // Listeners are matched by socket: one that stays keeps accepting without a gap.
  std::vector<std::unique_ptr<Listener>> kept;
  for (const ListenSocket& socket : listeners) {
    auto same = std::find_if(listeners_.begin(), listeners_.end(),
                             [&](const auto& l) { return l && l->fd() == socket.fd; });
    if (same != listeners_.end()) {
      (*same)->serve(socket.vipIndex);
      kept.push_back(std::move(*same));
    } else {
      kept.push_back(std::make_unique<Listener>(*this, socket));
    }
  }
  listeners_ = std::move(kept);  // the rest stop watching their sockets here
  const bool first = !config_;
  config_ = std::move(config);
  if (first) return;
  // Sessions may close while being told: walk a copy (a closed one is deleted after the batch).
  const std::vector<Session*> open = sessions_;
  const Millis timeout = snapshot.global.drainTimeout;
  const auto spread = static_cast<uint64_t>(snapshot.global.drainSpread.count());
  for (Session* session : open) {
    if (!session->configPublished(config_) || session->drainDeadline) continue;
    const Millis jitter(spread == 0 ? 0 : static_cast<int64_t>(random_() % (spread + 1)));
    session->drainDeadline =
        std::make_unique<Timer>(loop_.timers(), [session] { session->abort("drained"); });
    session->drainDeadline->armAt(loop_.now() + timeout + jitter);
    drainingSessions_.store(drainingSessions_.load(std::memory_order_relaxed) + 1,
                            std::memory_order_relaxed);
  }
}

void Worker::closeConnectionsTo(const ServerHealth* server, SocketAddress address,
                                std::function<void(size_t)> done) {
  loop_.post([this, server, address, done = std::move(done)] {
    http_.pool.closeTo(address);
    size_t closed = 0;
    const std::vector<Session*> open = sessions_;  // a closed session leaves sessions_
    for (Session* session : open) {
      if (session->closeIfUsing(*server)) ++closed;
    }
    http_.http2.closeTo(address);
    done(closed);
  });
}

void Worker::drain(std::function<void()> done) {
  loop_.post([this, done = std::move(done)] {
    startDrain();
    if (done) done();
  });
}

void Worker::startDrain() {
  if (draining_) return;
  draining_ = true;
  // Closing our listening sockets stops new connections reaching this worker; connections
  // already accepted carry on.
  listeners_.clear();
  const std::vector<Session*> open = sessions_;  // a closed session leaves sessions_
  for (Session* session : open)
    session->drain();
  drainDeadline_ = std::make_unique<Timer>(loop_.timers(), [this] { abortAll("shutdown"); });
  drainDeadline_->armAt(loop_.now() + config_->snapshot->global.drainTimeout);
  maybeStop();
}

void Worker::closeNow() {
  loop_.post([this] {
    startDrain();
    abortAll("shutdown");
  });
}

void Worker::abortAll(std::string_view reason) {
  // Each abort removes its session from the list, so always take the last one.
  while (!sessions_.empty())
    sessions_.back()->abort(reason);
  maybeStop();
}

void Worker::maybeStop() {
  if (draining_ && sessions_.empty()) loop_.stop();
}

void Worker::onAccept(size_t vipIndex, UniqueFd client, const SocketAddress& peer) {
  const VipConfig& vip = config_->snapshot->vips[vipIndex];
  VipCounters& counters = config_->vipCounters(vipIndex);
  counters.accepted.add();
  if (sessions_.size() >= maxSessions_) {
    counters.closedAs("max_connections");
    accessLog_.write(logLine_.begin()
                         .field("vip", vip.name)
                         .field("client", peer.toString())
                         .field("end", "max_connections")
                         .finish());
    return;  // `client` closes here
  }
  // TCP_NODELAY comes from the listening socket (listenTcp()): accepted sockets inherit it.
  // Each service's session type; the life of each is in its own header. A terminating VIP
  // that passes some names through starts as a layer-4 session, which peeks the ClientHello
  // and hands the others back (startHttpSession()).
  if (vip.isHttp() && !vip.mixesModes()) {
    startHttpSession(config_, vip, std::move(client), peer);
  } else {
    auto* session = new L4ProxySession(*this, config_, vip, std::move(client), peer);
    track(session);
    session->start();
  }
}

void Worker::startHttpSession(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                              UniqueFd client, const SocketAddress& peer, BufferPool::Buffer peeked,
                              size_t length) {
  auto* session =
      new HttpProxySession(*this, http_, std::move(config), vip, std::move(client), peer);
  track(session);
  if (peeked.data) session->adoptPeeked(std::move(peeked), length);
  session->start();
}

void Worker::startHttp2Session(std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                               UniqueFd client, const SocketAddress& peer,
                               std::unique_ptr<Transport> transport, BufferPool::Buffer peeked,
                               TimePoint acceptedAt, std::string_view alreadyRead) {
  auto* session = new Http2ProxySession(*this, http_, std::move(config), vip, std::move(client),
                                        peer, std::move(transport), std::move(peeked), acceptedAt);
  track(session);
  session->start(alreadyRead);
}

void Worker::reportEjection(const ServerGroupConfig& group, uint32_t server, std::string_view why) {
  logWarn("server " + group.name + "/" + group.servers[server].name + " ejected for " +
          formatDuration(group.passive.ejection) + ": " +
          std::to_string(group.passive.consecutiveFailures) +
          " failures in a row, the last: " + std::string(why));
}

void Worker::noteResourceShortage(int error) {
  ++shortagesUnwarned_;
  const TimePoint now = loop_.now();
  if (now - shortageWarnedAt_ < Millis(1000)) return;
  logWarn("worker " + std::to_string(id_) + ": " + std::to_string(shortagesUnwarned_) +
          " connection(s) to servers could not be opened: " + std::strerror(error) +
          " (Sluice's own limit, not the servers': see global.max_connections and ulimit -n)");
  shortageWarnedAt_ = now;
  shortagesUnwarned_ = 0;
}

void Worker::track(Session* session) {
  session->workerSlot = sessions_.size();
  sessions_.push_back(session);
}

void Worker::sessionClosed(Session* session) {
  if (session->drainDeadline) {
    session->drainDeadline->cancel();  // it may be the caller: it goes with the session
    drainingSessions_.store(drainingSessions_.load(std::memory_order_relaxed) - 1,
                            std::memory_order_relaxed);
  }
  // Swap-remove keeps the list dense without a search.
  Session* last = sessions_.back();
  sessions_[session->workerSlot] = last;
  last->workerSlot = session->workerSlot;
  sessions_.pop_back();
  loop_.deferDelete(std::unique_ptr<Deferrable>(session));
  maybeStop();
}

}  // namespace sluice
