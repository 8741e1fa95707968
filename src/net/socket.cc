#include "net/socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

UniqueFd listenTcp(const SocketAddress& address, int backlog, std::string& error) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  auto fail = [&](const char* step) {
    error = std::string("cannot listen on ") + address.toString() + ": " + step + ": " +
            std::strerror(errno);
    return UniqueFd();
  };
  if (!fd.valid()) return fail("socket");
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return fail("SO_REUSEADDR");
  }
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return fail("SO_REUSEPORT");
  }
  if (address.family() == AF_INET6) {
    // `[::]:443` means IPv6 only; an operator who wants IPv4 too lists `0.0.0.0:443` as well.
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      return fail("IPV6_V6ONLY");
    }
  }
  // Set once here rather than on every accepted socket (a syscall per connection): Linux
  // copies it to each socket accept() returns. Responses are written whole, so Nagle's delay
  // would only hold back their last segment.
  if (::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return fail("TCP_NODELAY");
  }
  if (::bind(fd.get(), address.sockaddrPtr(), address.length()) != 0) return fail("bind");
  if (::listen(fd.get(), backlog) != 0) return fail("listen");
  return fd;
}

bool addressFree(const SocketAddress& address, std::string& error) {
  UniqueFd probe(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  const bool bound =
      probe.valid() &&
      // SO_REUSEADDR only lets the probe past sockets in TIME_WAIT, never past a listener.
      ::setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
      (address.family() != AF_INET6 ||
       ::setsockopt(probe.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
      ::bind(probe.get(), address.sockaddrPtr(), address.length()) == 0;
  if (bound) return true;
  error = "cannot listen on " + address.toString() + ": bind: " + std::strerror(errno);
  if (errno == EADDRINUSE) error += " (another process is listening there)";
  return false;
}

UniqueFd connectTcp(const SocketAddress& address) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), address.sockaddrPtr(), address.length()) != 0 && errno != EINPROGRESS) {
    const int saved = errno;
    fd.reset();
    errno = saved;
  }
  return fd;
}

bool isLocalResourceError(int error) {
  switch (error) {
    case EMFILE:         // this process's descriptor limit
    case ENFILE:         // the system's
    case ENOBUFS:        // socket buffers
    case ENOMEM:         // kernel memory
    case EADDRNOTAVAIL:  // a connect found no free local port
      return true;
    default:
      return false;
  }
}

int connectResult(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

SocketAddress localAddress(int fd) {
  sockaddr_storage storage{};
  socklen_t len = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len);
  return SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
}

}  // namespace sluice
