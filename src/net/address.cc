#include "net/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sluice {
namespace {

bool parsePort(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

void setWhy(std::string* why, std::string text) {
  if (why) *why = std::move(text);
}

}  // namespace

std::optional<SocketAddress> SocketAddress::parse(std::string_view text, std::string* why) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    setWhy(why, "expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080");
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  uint16_t port = 0;
  if (!parsePort(text.substr(colon + 1), port)) {
    setWhy(why, "port must be a number from 0 to 65535");
    return std::nullopt;
  }
  SocketAddress address;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string v6(host.substr(1, host.size() - 2));
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&address.storage_);
    if (inet_pton(AF_INET6, v6.c_str(), &sin6->sin6_addr) != 1) {
      setWhy(why, "'" + v6 + "' is not an IPv6 address");
      return std::nullopt;
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    address.length_ = sizeof(sockaddr_in6);
    return address;
  }
  std::string v4(host);
  auto* sin = reinterpret_cast<sockaddr_in*>(&address.storage_);
  if (inet_pton(AF_INET, v4.c_str(), &sin->sin_addr) != 1) {
    setWhy(why, "'" + v4 + "' is not a numeric IPv4 address (IPv6 goes in brackets: [::1]:443)");
    return std::nullopt;
  }
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  address.length_ = sizeof(sockaddr_in);
  return address;
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress address;
  if (len > sizeof(address.storage_)) len = sizeof(address.storage_);
  std::memcpy(&address.storage_, sa, len);
  address.length_ = len;
  return address;
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string_view SocketAddress::ipBytes() const {
  if (family() == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
    return {reinterpret_cast<const char*>(&sin->sin_addr), 4};
  }
  if (family() == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    return {reinterpret_cast<const char*>(&sin6->sin6_addr), 16};
  }
  return {};
}

std::string SocketAddress::ipString() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
              sizeof text);
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

std::string SocketAddress::toString() const {
  const std::string port = std::to_string(this->port());
  if (family() == AF_INET6) return "[" + ipString() + "]:" + port;
  return ipString() + ":" + port;
}

}  // namespace sluice
