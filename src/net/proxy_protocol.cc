#include "net/proxy_protocol.h"

#include <netinet/in.h>

#include <cstring>

namespace sluice {
namespace {

constexpr char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                   '\n', 'Q',  'U',  'I',  'T',  '\n'};
constexpr uint8_t kV2ProxyCommand = 0x21;  // version 2, PROXY
constexpr uint8_t kTcpOverIpv4 = 0x11;
constexpr uint8_t kTcpOverIpv6 = 0x21;
constexpr uint8_t kTlvAlpn = 0x01;
constexpr uint8_t kTlvAuthority = 0x02;

void appendU16(std::string& out, size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

// 16 address bytes: IPv6 as is, IPv4 as an IPv4-mapped IPv6 address.
void appendAsIpv6(std::string& out, const SocketAddress& address) {
  if (address.family() == AF_INET6) {
    out.append(address.ipBytes());
    return;
  }
  out.append(10, '\0');
  out.append(2, '\xff');
  out.append(address.ipBytes());
}

void appendTlv(std::string& out, uint8_t type, std::string_view value) {
  if (value.empty() || value.size() > 0xffff) return;
  out.push_back(static_cast<char>(type));
  appendU16(out, value.size());
  out.append(value);
}

}  // namespace

void appendProxyV1(const SocketAddress& source, const SocketAddress& destination,
                   std::string& out) {
  if (source.family() != destination.family()) {
    out.append("PROXY UNKNOWN\r\n");
    return;
  }
  out.append(source.family() == AF_INET6 ? "PROXY TCP6 " : "PROXY TCP4 ");
  out.append(source.ipString()).append(" ").append(destination.ipString()).append(" ");
  out.append(std::to_string(source.port())).append(" ");
  out.append(std::to_string(destination.port())).append("\r\n");
}

void appendProxyV2(const SocketAddress& source, const SocketAddress& destination,
                   std::string_view authority, std::string_view alpn, std::string& out) {
  const bool ipv4 = source.family() == AF_INET && destination.family() == AF_INET;
  std::string body;
  if (ipv4) {
    body.append(source.ipBytes()).append(destination.ipBytes());
  } else {
    appendAsIpv6(body, source);
    appendAsIpv6(body, destination);
  }
  appendU16(body, source.port());
  appendU16(body, destination.port());
  appendTlv(body, kTlvAlpn, alpn);
  appendTlv(body, kTlvAuthority, authority);

  out.append(kV2Signature, sizeof kV2Signature);
  out.push_back(static_cast<char>(kV2ProxyCommand));
  out.push_back(static_cast<char>(ipv4 ? kTcpOverIpv4 : kTcpOverIpv6));
  appendU16(out, body.size());
  out.append(body);
}

}  // namespace sluice
