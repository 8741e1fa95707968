#include "support/net_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <string>

namespace sluice::test {

namespace {

// A port handed out to this process stays its own for the process's life: a lock on a file
// named after it, which the kernel drops when the process exits (however it exits). Another
// test process (ctest runs two at once) skips a port whose file is locked, even while nothing
// listens on it yet.
bool reserveForThisProcess(uint16_t port) {
  static const std::string dir = [] {
    const std::string path = "/tmp/sluice-test-ports";
    ::mkdir(path.c_str(), 01777);
    return path;
  }();
  const std::string file = dir + "/" + std::to_string(port);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // no reservations on this machine: the bind check alone
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  return true;  // `fd` stays open, and locked, until the process exits
}

}  // namespace

// Ports come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range, from
// 32768 by default): the kernel gives outgoing connections their source port from that range,
// and one of the many clients a test starts (h2load, curl) could otherwise take the port
// between this check and the test's own bind. Each process starts at a random place and
// reserves what it takes, so that tests run in parallel never share a port.
uint16_t freePort() {
  constexpr uint32_t kFirst = 10000, kCount = 22000;
  static std::atomic<uint32_t> next{std::random_device{}()};
  for (int tries = 0; tries < 1000; ++tries) {
    const uint16_t port = static_cast<uint16_t>(kFirst + next.fetch_add(1) % kCount);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free && reserveForThisProcess(port)) return port;
  }
  return 0;
}

int connectLocal(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

bool writeAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

namespace {

// One read with a timeout: >0 bytes, 0 EOF, -1 error or timeout.
ssize_t readSome(int fd, char* buffer, size_t size, milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return -1;
  return ::recv(fd, buffer, size, 0);
}

}  // namespace

std::string readUntilClose(int fd, milliseconds timeout, bool* eof) {
  std::string out;
  char buffer[65536];
  if (eof) *eof = false;
  for (;;) {
    const ssize_t n = readSome(fd, buffer, sizeof buffer, timeout);
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 && eof) *eof = true;
    return out;
  }
}

std::string exchangeOnce(uint16_t port, const std::string& bytes, milliseconds wait) {
  const int fd = connectLocal(port);
  if (fd < 0) return "";
  writeAll(fd, bytes);
  ::shutdown(fd, SHUT_WR);
  const std::string answer = readUntilClose(fd, wait);
  ::close(fd);
  return answer;
}

size_t discardUntilClose(int fd) {
  size_t total = 0;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
    total += static_cast<size_t>(n);
  return total;
}

std::string readUntil(int fd, std::string_view marker, milliseconds timeout) {
  std::string out;
  char c;
  while (!out.ends_with(marker) && readSome(fd, &c, 1, timeout) == 1)
    out.push_back(c);
  return out;
}

void PatternStream::fill(char* out, size_t size) {
  for (size_t i = 0; i < size; i += 8) {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    const uint64_t v = state_ * 0x2545F4914F6CDD1DULL;
    for (size_t b = 0; b < 8 && i + b < size; ++b)
      out[i + b] = static_cast<char>(v >> (8 * b));
  }
}

void RunningHash::add(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    hash_ ^= static_cast<unsigned char>(data[i]);
    hash_ *= 0x100000001b3ULL;
  }
}

}  // namespace sluice::test
