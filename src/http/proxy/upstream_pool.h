#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "net/address.h"
#include "net/socket.h"

namespace sluice {

// One worker's idle keep-alive connections to HTTP servers, so that a request can skip the
// connect (and the server its accept). Keyed by server address, not by config object: a
// connection stays useful across config reloads that keep the server.
//
// An idle connection is not watched while pooled; take() checks it is still open (a server
// may close idle connections at any time) and drops those past `maxIdle`. Even so a server can
// close one just as a request is sent: the proxy retries such a request once on a new
// connection when it is safe to (no body sent). Single-threaded: owned by one worker.
class UpstreamPool {
 public:
  UpstreamPool(size_t maxPerServer, Millis maxIdle)
      : maxPerServer_(maxPerServer), maxIdle_(maxIdle) {}

  // An open idle connection to `server`, or an invalid fd.
  UniqueFd take(const SocketAddress& server, TimePoint now);
  // Keeps `connection` (idle, at a message boundary) for reuse.
  void give(const SocketAddress& server, UniqueFd connection, TimePoint now);
  size_t idle() const;

 private:
  struct Idle {
    SocketAddress server;
    UniqueFd fd;
    TimePoint since;
  };
  static uint64_t keyOf(const SocketAddress& server);

  size_t maxPerServer_;
  Millis maxIdle_;
  std::unordered_map<uint64_t, std::vector<Idle>> idle_;
};

}  // namespace sluice
