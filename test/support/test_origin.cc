#include "support/test_origin.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

#include "support/net_helpers.h"

namespace sluice::test {

TestOrigin::TestOrigin(Handler handler) : handler_(std::move(handler)) {
  // A client that goes away mid-write (a health check closing after its handshake) must give
  // the handler EPIPE, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 512) != 0 || ::pipe2(stopPipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("TestOrigin: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

void TestOrigin::stop() {
  if (stopped_) return;
  stopped_ = true;
  [[maybe_unused]] ssize_t n = ::write(stopPipe_[1], "x", 1);
  acceptThread_.join();
  ::close(listenFd_);
  std::lock_guard lock(mutex_);
  for (int fd : open_)
    ::shutdown(fd, SHUT_RDWR);
}

TestOrigin::~TestOrigin() {
  stop();
  for (auto& t : connections_)
    t.join();
  ::close(stopPipe_[0]);
  ::close(stopPipe_[1]);
}

void TestOrigin::acceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {stopPipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    std::lock_guard lock(mutex_);
    // The handler owns and closes `fd`; the duplicate lets stop() shut the socket down, and
    // is closed as soon as the handler returns (the socket closes with its last descriptor).
    // Close-on-exec like the original: a client the test starts meanwhile (curl) must not
    // inherit it, or a server's close never reaches Sluice while that client runs.
    const int watch = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    open_.push_back(watch);
    connections_.emplace_back([this, fd, watch] {
      handler_(fd);
      std::lock_guard lock(mutex_);
      open_.erase(std::find(open_.begin(), open_.end(), watch));
      ::close(watch);
    });
  }
}

TestOrigin::Handler TestOrigin::echo(std::string greeting) {
  return [greeting](int fd) {
    if (!greeting.empty()) writeAll(fd, greeting);
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0 || !writeAll(fd, buffer, static_cast<size_t>(n))) break;
    }
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  };
}

}  // namespace sluice::test
