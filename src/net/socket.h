#pragma once

#include <string>
#include <utility>

#include "net/address.h"

namespace sluice {

// Owns a file descriptor and closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A non-blocking TCP listening socket bound to `address` with SO_REUSEPORT, so that every worker
// holds its own socket on the same address and the kernel spreads new connections across them.
// On failure returns an invalid fd and sets `error` to a sentence naming the address and cause.
UniqueFd listenTcp(const SocketAddress& address, int backlog, std::string& error);

// Whether another socket already holds `address` — including another process that set
// SO_REUSEPORT too, which listenTcp() alone would silently join (a second Sluice on the same
// ports would take half the traffic). Binds a probe socket without SO_REUSEPORT, which no
// existing listener can share, then closes it. False with `error` set when the address is
// taken or cannot be bound.
bool addressFree(const SocketAddress& address, std::string& error);

// Starts a non-blocking connect to `address`. Returns the socket (the connect completes or fails
// later: wait for EPOLLOUT, then connectResult()), or an invalid fd with errno set when it failed
// at once.
UniqueFd connectTcp(const SocketAddress& address);

// Whether `error` (an errno) says this process or host ran short of something — descriptors,
// memory, socket buffers, local ports — rather than that the peer failed. Such an error is
// Sluice's own: it never counts against a server (no ejection, no health check failed).
bool isLocalResourceError(int error);

// After EPOLLOUT on a connecting socket: 0 when connected, else the errno of the failure.
int connectResult(int fd);

// The local and peer addresses of a connected socket.
SocketAddress localAddress(int fd);

}  // namespace sluice
