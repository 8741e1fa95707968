#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "balance/server_mask.h"
#include "core/buffer_pool.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "metrics/component_counters.h"
#include "net/address.h"
#include "net/socket.h"
#include "net/splice_relay.h"
#include "tls/client_hello_peek.h"
#include "worker/session.h"
#include "worker/worker_config.h"

namespace sluice {

class WorkerServices;

// One client connection on a layer-4 VIP (`tcp` or `https-passthrough`), or on a terminating VIP
// that passes some names through (`sni_routes` with `mode: passthrough`), from accept to close:
//
//   start() ─┬─ tcp ──────────────────────────────┬→ connectNext() ─(connected)→ sendPrefix()
//            └─ passthrough: peek() → route() ────┘      ↑  │ refused / timed out      │
//                  reads the ClientHello,  │             └──┘ next server,            ↓
//                  chooses a group by SNI  │                  up to `retries` more   relay
//                                          │                                           ↓
//            a name the VIP terminates:    └→ handOffToTermination()               finish()
//            the socket and the peeked bytes go to an HttpProxySession
//
// The peek reads the ClientHello into a pooled buffer (bounded by limits.client_hello_max and
// timeouts.peek) without decrypting anything. sendPrefix() writes the PROXY protocol header, if
// the group asks for one, and replays the peeked bytes to the server; from then on bytes move
// untouched with splice() (SpliceRelay). Every way out writes one access-log record saying how
// the connection ended.
class L4ProxySession final : public Session {
 public:
  L4ProxySession(WorkerServices& worker, std::shared_ptr<const WorkerConfig> config,
                 const VipConfig& vip, UniqueFd client, const SocketAddress& peer);
  ~L4ProxySession() override;

  void start();
  void abort(std::string_view reason) override { finish(reason); }
  bool configPublished(const std::shared_ptr<const WorkerConfig>& newest) override;
  bool closeIfUsing(const ServerHealth& server) override;

 private:
  // Routes epoll events of one of the two sockets back to the session, saying which.
  struct Endpoint final : IoHandler {
    Endpoint(L4ProxySession& s, bool client) : session(s), isClient(client) {}
    void onIo(uint32_t events) override { session.onIo(isClient, events); }
    L4ProxySession& session;
    bool isClient;
  };
  enum class Phase { kPeeking, kConnecting, kSendingPrefix, kRelaying, kClosed };

  void onIo(bool fromClient, uint32_t events);
  void countRelayedBytes();
  void peek();
  bool route();
  void handOffToTermination();
  void beginConnecting();
  void connectNext();
  void onConnectFailed(int error);
  void onConnected();
  void sendPrefix();
  void startRelay();
  // Drives the relay (all of it when `events` is 0) and ends the session when it is over.
  void pump(bool fromClient = false, uint32_t events = 0);
  void onTimer();
  void finish(std::string_view end, int error = 0);
  void closeServer();
  void writeAccessLog(std::string_view end, int error);

  WorkerServices& worker_;
  std::shared_ptr<const WorkerConfig> config_;
  const VipConfig& vip_;
  ServerGroup* group_ = nullptr;
  VipCounters& counters_;   // this worker's, of the VIP
  uint64_t countedIn_ = 0;  // relayed bytes already added to the counters
  uint64_t countedOut_ = 0;
  TimePoint connectStarted_;
  UniqueFd client_;
  UniqueFd server_;
  SocketAddress peer_;
  Endpoint clientEndpoint_{*this, true};
  Endpoint serverEndpoint_{*this, false};
  Phase phase_ = Phase::kConnecting;

  // Peek (https-passthrough only).
  BufferPool::Buffer peekBuffer_;
  size_t peeked_ = 0;
  std::optional<ClientHelloPeek> hello_;

  // What goes to the server before the relay: PROXY header, then the peeked bytes.
  std::string proxyHeader_;
  size_t prefixSent_ = 0;

  ServerMask tried_{0};
  uint32_t serverIndex_ = ServerGroup::kNone;
  uint32_t attempts_ = 0;
  int lastConnectError_ = 0;

  std::optional<SpliceRelay> relay_;
  Timer timer_;  // peek, then connect, then idle deadline
  TimePoint started_;
  TimePoint lastActivity_;
};

}  // namespace sluice
