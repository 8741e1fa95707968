#include "net/splice_relay.h"

#include <fcntl.h>
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

bool SpliceRelay::start() {
  up_.pipe = pipes_.acquire();
  if (!up_.pipe.valid()) return false;
  down_.pipe = pipes_.acquire();
  return down_.pipe.valid();
}

bool SpliceRelay::pumpDirection(Direction& d, Side& failed) {
  const Side toSide = d.fromSide == Side::kClient ? Side::kServer : Side::kClient;
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
        failed = toSide;
        return false;
      }
    }
    const size_t room = pipes_.capacity() - std::min(d.inPipe, pipes_.capacity());
    if (!d.eof && room > 0) {
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
        failed = d.fromSide;
        return false;
      }
    }
    if (progress) activity_ = true;
    if (!progress) break;
  }
  if (d.eof && d.inPipe == 0 && !d.shut) {
    d.shut = true;
    // ENOTCONN here means the peer is already gone; the other direction will report it.
    ::shutdown(d.to, SHUT_WR);
  }
  return true;
}

SpliceRelay::State SpliceRelay::pump() {
  Side failed = Side::kClient;
  if (!pumpDirection(up_, failed) || !pumpDirection(down_, failed)) {
    return failed == Side::kClient ? State::kClientError : State::kServerError;
  }
  return up_.shut && down_.shut ? State::kFinished : State::kActive;
}

}  // namespace sluice
