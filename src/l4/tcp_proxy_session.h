#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "balance/server_mask.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "net/address.h"
#include "net/socket.h"
#include "net/splice_relay.h"
#include "server/session.h"
#include "server/worker_config.h"

namespace sluice {

class Worker;

// One client connection on a `tcp` VIP, from accept to close:
//
//   start() → connectNext() ──(connected)──→ startRelay() → pump() … → finish()
//                  ↑  │ refused / timed out
//                  └──┘ next server, up to `retries` more
//
// The bytes are relayed untouched with splice() (SpliceRelay). The session ends when both
// directions have closed, on a reset from either side, on the group's idle timeout, when every
// server has failed to connect, or when a shutdown's drain deadline passes; each way out writes
// one access-log record saying which.
class TcpProxySession final : public Session {
 public:
  TcpProxySession(Worker& worker, std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                  UniqueFd client, const SocketAddress& peer);
  ~TcpProxySession() override;

  void start();
  void abort(std::string_view reason) override { finish(reason); }

 private:
  // Routes epoll events of one of the two sockets back to the session, saying which.
  struct Endpoint final : IoHandler {
    Endpoint(TcpProxySession& s, bool client) : session(s), isClient(client) {}
    void onIo(uint32_t events) override { session.onIo(isClient, events); }
    TcpProxySession& session;
    bool isClient;
  };
  enum class Phase { kConnecting, kRelaying, kClosed };

  void onIo(bool fromClient, uint32_t events);
  void connectNext();
  void onConnectFailed(int error);
  void startRelay();
  void pump();
  void onTimer();
  void finish(std::string_view end, int error = 0);
  void closeServer();

  Worker& worker_;
  std::shared_ptr<const WorkerConfig> config_;
  const VipConfig& vip_;
  ServerGroup& group_;
  UniqueFd client_;
  UniqueFd server_;
  SocketAddress peer_;
  Endpoint clientEndpoint_{*this, true};
  Endpoint serverEndpoint_{*this, false};
  Phase phase_ = Phase::kConnecting;

  ServerMask tried_;
  uint32_t serverIndex_ = ServerGroup::kNone;
  uint32_t attempts_ = 0;
  int lastConnectError_ = 0;

  std::optional<SpliceRelay> relay_;
  Timer timer_;  // connect timeout while connecting, idle timeout while relaying
  TimePoint started_;
  TimePoint lastActivity_;
};

}  // namespace sluice
