#pragma once

#include <cstdint>

#include "core/pipe_pool.h"

namespace sluice {

// Moves bytes both ways between two connected, non-blocking sockets with splice(), through a
// pooled pipe per direction: the bytes never enter user space.
//
// Pipes are held only while bytes are in flight: a direction takes one from the worker's pool
// when its source has data and gives it back as soon as it is drained. An idle connection holds
// no pipe, so large pipes (fewer splice calls per MiB) cost nothing per idle connection.
//
// Backpressure: a direction reads from its source only while its pipe has room, so a slow
// receiver stops the sender at the kernel's socket buffers instead of growing memory here.
// Half-close: when one side finishes sending (EOF) and its pipe has drained, the other side's
// write half is shut down, and the opposite direction keeps flowing until it ends too.
//
// The owner registers both sockets edge-triggered for EPOLLIN | EPOLLOUT | EPOLLRDHUP, calls
// pump() once when the relay starts, and onEvent() for every event of either socket after that.
class SpliceRelay {
 public:
  enum class Side { kClient, kServer };
  enum class State {
    kActive,       // waiting for readiness
    kFinished,     // both directions reached EOF and were shut down in order
    kClientError,  // a read from or write to the client failed (reset, broken pipe)
    kServerError,  // the same on the server side
    kLocalError,   // no pipe could be had (out of file descriptors)
  };

  SpliceRelay(PipePool& pipes, int clientFd, int serverFd);
  ~SpliceRelay();
  SpliceRelay(const SpliceRelay&) = delete;
  SpliceRelay& operator=(const SpliceRelay&) = delete;

  // Moves whatever can be moved now, both ways. Returns kActive until the relay ends.
  State pump();
  // Moves only what an epoll event on `side`'s socket can have unblocked: readable wakes the
  // direction reading from it, writable the direction writing to it if that one has bytes
  // waiting. Writable edges arrive with every ACK; most then cost no syscall at all.
  State onEvent(Side side, uint32_t events);

  uint64_t bytesFromClient() const { return up_.bytes; }
  uint64_t bytesFromServer() const { return down_.bytes; }
  // Which side sent EOF first, once either has; what an access log calls "who closed".
  bool clientClosedFirst() const { return firstEof_ == Side::kClient; }
  int lastErrno() const { return errno_; }
  // True when a call to pump() moved at least one byte; reset by the caller (idle timeouts).
  bool takeActivity() {
    bool moved = activity_;
    activity_ = false;
    return moved;
  }

 private:
  struct Direction {
    int from;
    int to;
    Side fromSide;
    Pipe pipe;
    size_t inPipe = 0;   // bytes spliced into the pipe and not yet out of it
    bool eof = false;    // `from` has no more to send
    bool shut = false;   // `to` has been told so (shutdown SHUT_WR)
    uint64_t bytes = 0;  // total moved into `to`
  };
  // Moves what it can in one direction; on failure returns the state to end with (errno_ set).
  State pumpDirection(Direction& d);

  PipePool& pipes_;
  Direction up_;    // client → server
  Direction down_;  // server → client
  Side firstEof_ = Side::kClient;
  bool anyEof_ = false;
  bool activity_ = false;
  int errno_ = 0;
};

}  // namespace sluice
