#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "net/address.h"
#include "net/socket.h"
#include "tls/transport.h"

namespace sluice {

// The epoll registration of a server connection, made once when it is opened and kept for its
// life: whoever uses the connection (an exchange) sets `owner`, the pool clears it, and no
// system call is made as the connection goes from exchange to pool to exchange (HTTP/2 streams
// do that once per request). Events while pooled are dropped: take() checks the socket. Freed
// after the loop's current batch, which may still name it.
struct UpstreamEvents final : IoHandler, Deferrable {
  void onIo(uint32_t events) override {
    if (owner) {
      owner->onIo(events);
    } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      // Pooled: a server says nothing to an idle connection but its end (or an error). Room to
      // write (an ACK) says nothing.
      unusable = true;
    }
  }
  IoHandler* owner = nullptr;
  bool unusable = false;  // an event came while it was pooled
  uint32_t watched = 0;   // the events the socket is registered for
  EventLoop* loop = nullptr;
};
struct UpstreamEventsRelease {
  void operator()(UpstreamEvents* events) const {
    events->loop->deferDelete(std::unique_ptr<Deferrable>(events));
  }
};

// A connection to an HTTP(S) server: the socket, its registration with the loop, and the
// transport (plain or TLS) over it.
struct UpstreamConnection {
  UniqueFd fd;
  std::unique_ptr<UpstreamEvents, UpstreamEventsRelease> events;  // null until registered
  Transport transport;
  bool tlsSessionKept = false;  // its TLS session is in the worker's BackendSessionCache
};

// One worker's idle keep-alive connections to HTTP servers, so that a request can skip the
// connect (and the TLS handshake, and the server its accept).
//
// Keyed by what makes connections interchangeable: the server's address and, for TLS, the
// identity of the TLS settings, the SNI sent and the name verified (see upstreamKey() in
// http_proxy_session.cc). Not by config object, so that a connection stays useful across
// config reloads that keep the server.
//
// A pooled connection stays registered with the loop: an event while it idles (the server
// closing it, at any time) marks it unusable, at no cost. take() drops those and the ones past
// `maxIdle`, and for a request that could not be sent again (one with a body) also asks the
// socket (a close whose event its last owner consumed). Even so a server can close one just as
// a request is sent: the proxy retries such a request once on a new connection when it is safe
// to (no body sent). Single-threaded: owned by one worker.
// The start of every pool key of connections to `address`: its IP bytes, then its port.
std::string upstreamAddressKey(const SocketAddress& address);

class UpstreamPool {
 public:
  UpstreamPool(size_t maxPerKey, size_t maxTotal, Millis maxIdle)
      : maxPerKey_(maxPerKey), maxTotal_(maxTotal), maxIdle_(maxIdle) {}

  // An open idle connection for `key`, or one whose fd is invalid. `verify`: the socket is
  // asked whether the server closed it (a system call), for a request that cannot be retried.
  UpstreamConnection take(std::string_view key, TimePoint now, bool verify = true);
  // Keeps `connection` (idle, at a message boundary) for reuse; closes it when full.
  void give(std::string_view key, UpstreamConnection connection, TimePoint now);
  size_t idle() const { return total_; }
  // Closes the idle connections past `maxIdle` and those the server closed (or spoke on) while
  // they waited; returns how many. The worker calls it every second, so that nothing lingers
  // in CLOSE-WAIT or past its idle time until a request happens to look.
  size_t sweep(TimePoint now);
  // Closes every idle connection to `address` (an operator closed the server's connections).
  size_t closeTo(const SocketAddress& address);

 private:
  struct Idle {
    UpstreamConnection connection;
    TimePoint since;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  size_t maxPerKey_;
  size_t maxTotal_;
  Millis maxIdle_;
  size_t total_ = 0;
  std::unordered_map<std::string, std::vector<Idle>, Hash, std::equal_to<>> idle_;
};

}  // namespace sluice
