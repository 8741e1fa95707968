#include "net/splice_relay.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace sluice {
namespace {

constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

SpliceRelay::SpliceRelay(PipePool& pipes, int clientFd, int serverFd)
    : pipes_(pipes),
      up_{clientFd, serverFd, Side::kClient, {}},
      down_{serverFd, clientFd, Side::kServer, {}} {}

SpliceRelay::~SpliceRelay() {
  pipes_.release(up_.pipe, up_.inPipe == 0);
  pipes_.release(down_.pipe, down_.inPipe == 0);
}

SpliceRelay::State SpliceRelay::pumpDirection(Direction& d) {
  const State toFailed = d.fromSide == Side::kClient ? State::kServerError : State::kClientError;
  const State fromFailed = d.fromSide == Side::kClient ? State::kClientError : State::kServerError;
  for (;;) {
    bool progress = false;
    if (d.inPipe > 0) {
      const ssize_t n = ::splice(d.pipe.readFd, nullptr, d.to, nullptr, d.inPipe, kSpliceFlags);
      if (n > 0) {
        d.inPipe -= static_cast<size_t>(n);
        d.bytes += static_cast<uint64_t>(n);
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        errno_ = errno;
        return toFailed;
      }
    }
    if (!d.eof && d.inPipe < pipes_.capacity()) {
      if (!d.pipe.valid()) {
        d.pipe = pipes_.acquire();
        if (!d.pipe.valid()) {
          errno_ = errno;
          return State::kLocalError;
        }
      }
      const size_t room = pipes_.capacity() - d.inPipe;
      const ssize_t n = ::splice(d.from, nullptr, d.pipe.writeFd, nullptr, room, kSpliceFlags);
      if (n > 0) {
        d.inPipe += static_cast<size_t>(n);
        progress = true;
      } else if (n == 0) {
        d.eof = true;
        if (!anyEof_) {
          anyEof_ = true;
          firstEof_ = d.fromSide;
        }
        progress = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        errno_ = errno;
        return fromFailed;
      }
    }
    if (!progress) break;
    activity_ = true;
  }
  if (d.inPipe == 0 && d.pipe.valid()) {
    // Drained and waiting: the pipe goes back to the pool until the source has data again.
    pipes_.release(d.pipe, true);
    d.pipe = Pipe{};
  }
  if (d.eof && d.inPipe == 0 && !d.shut) {
    d.shut = true;
    // ENOTCONN here means the peer is already gone; the other direction will report it.
    ::shutdown(d.to, SHUT_WR);
  }
  return State::kActive;
}

SpliceRelay::State SpliceRelay::pump() {
  if (State s = pumpDirection(up_); s != State::kActive) return s;
  if (State s = pumpDirection(down_); s != State::kActive) return s;
  return up_.shut && down_.shut ? State::kFinished : State::kActive;
}

SpliceRelay::State SpliceRelay::onEvent(Side side, uint32_t events) {
  // Errors and hang-ups surface through the splice calls themselves, so both directions of
  // that socket get a try.
  const bool failed = events & (EPOLLERR | EPOLLHUP);
  const bool readable = failed || (events & (EPOLLIN | EPOLLRDHUP));
  const bool writable = failed || (events & EPOLLOUT);
  Direction& fromHere = side == Side::kClient ? up_ : down_;
  Direction& toHere = side == Side::kClient ? down_ : up_;
  if (readable) {
    if (State s = pumpDirection(fromHere); s != State::kActive) return s;
  }
  if (writable && toHere.inPipe > 0) {
    if (State s = pumpDirection(toHere); s != State::kActive) return s;
  }
  return up_.shut && down_.shut ? State::kFinished : State::kActive;
}

}  // namespace sluice
