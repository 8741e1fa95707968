#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// An IPv4 or IPv6 address with a port, as written in config (`127.0.0.1:6543`, `[::1]:443`) and
// as returned by accept().
class SocketAddress {
 public:
  SocketAddress() = default;

  // Parses `host:port` with a numeric IPv4 host, or `[v6]:port`. Host names are refused: a load
  // balancer that resolved names at load time would silently pin whatever DNS said then.
  // On failure returns nullopt and, when `why` is given, says what is wrong.
  static std::optional<SocketAddress> parse(std::string_view text, std::string* why = nullptr);
  static SocketAddress fromSockaddr(const sockaddr* sa, socklen_t len);

  const sockaddr* sockaddrPtr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  int family() const { return storage_.any.sa_family; }
  uint16_t port() const;

  // The address bytes without the port (4 or 16 bytes): what client-IP affinity hashes.
  std::string_view ipBytes() const;

  std::string ipString() const;  // 127.0.0.1, ::1
  std::string toString() const;  // 127.0.0.1:80, [::1]:80

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
    return a.length_ == b.length_ && a.ipBytes() == b.ipBytes() && a.port() == b.port();
  }

 private:
  // IPv4 or IPv6 only, so the larger of the two (28 bytes) rather than sockaddr_storage (128):
  // every connection keeps its peer's address.
  union Storage {
    sockaddr_in6 in6;  // first: `{}` zeroes all of the largest member
    sockaddr_in in4;
    sockaddr any;
  } storage_{};
  socklen_t length_ = 0;
};

}  // namespace sluice
