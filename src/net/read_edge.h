#pragma once

#include <cstddef>

namespace sluice {

// What an edge-triggered socket's reader knows about its receive queue between events.
//
// A read that returns less than was asked for emptied the queue, and anything arriving later
// raises a new readable edge: until that edge is reported, another read can only fail with
// EAGAIN and is skipped. Once the peer's close has been reported (EPOLLRDHUP), no read is
// skipped: the end of stream must still be read.
struct ReadEdge {
  bool drained = false;     // a short read since the last readable edge
  bool peerClosed = false;  // the peer's FIN was reported

  void readable(bool closed) {
    drained = false;
    peerClosed = peerClosed || closed;
  }
  void afterRead(size_t got, size_t asked) { drained = got < asked && !peerClosed; }
};

}  // namespace sluice
