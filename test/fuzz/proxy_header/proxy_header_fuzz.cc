// libFuzzer target: the PROXY protocol header writer. For any pair of addresses, authority and
// ALPN, a version 1 header is one valid line within the specification's 107 bytes, and a
// version 2 header's lengths add up and its addresses and TLVs read back as written.

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "net/proxy_protocol.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// An address from 19 bytes of input: family, 16 address bytes, a port.
sluice::SocketAddress addressFrom(const uint8_t* p) {
  char text[INET6_ADDRSTRLEN];
  const uint16_t port = static_cast<uint16_t>(p[17] << 8 | p[18]);
  std::string spelled;
  if (p[0] & 1) {
    inet_ntop(AF_INET6, p + 1, text, sizeof text);
    spelled = "[" + std::string(text) + "]:" + std::to_string(port);
  } else {
    inet_ntop(AF_INET, p + 1, text, sizeof text);
    spelled = std::string(text) + ":" + std::to_string(port);
  }
  return *sluice::SocketAddress::parse(spelled);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 38) return 0;
  const sluice::SocketAddress source = addressFrom(data);
  const sluice::SocketAddress destination = addressFrom(data + 19);
  const std::string rest(reinterpret_cast<const char*>(data + 38), size - 38);
  const size_t split = rest.empty() ? 0 : static_cast<unsigned char>(rest[0]) % rest.size();
  const std::string authority = rest.substr(0, split).substr(0, 255);
  const std::string alpn = rest.substr(split).substr(0, 255);

  std::string v1;
  sluice::appendProxyV1(source, destination, v1);
  check(v1.size() <= 107 && v1.rfind("PROXY ", 0) == 0);
  check(v1.find("\r\n") == v1.size() - 2);

  std::string v2;
  sluice::appendProxyV2(source, destination, authority, alpn, v2);
  static const char kSignature[] = "\r\n\r\n\0\r\nQUIT\n";
  check(v2.size() >= 16 && std::memcmp(v2.data(), kSignature, 12) == 0);
  check(static_cast<uint8_t>(v2[12]) == 0x21);  // version 2, PROXY
  const size_t length = static_cast<uint8_t>(v2[14]) << 8 | static_cast<uint8_t>(v2[15]);
  check(v2.size() == 16 + length);
  const uint8_t family = static_cast<uint8_t>(v2[13]);
  const size_t addresses = family == 0x11 ? 12 : family == 0x21 ? 36 : 0;
  check(addresses != 0 && length >= addresses);
  // TLVs: type, 16-bit length, value; they must tile the rest exactly.
  std::string seenAuthority, seenAlpn;
  for (size_t at = 16 + addresses; at < v2.size();) {
    check(at + 3 <= v2.size());
    const uint8_t type = static_cast<uint8_t>(v2[at]);
    const size_t tlvLength =
        static_cast<uint8_t>(v2[at + 1]) << 8 | static_cast<uint8_t>(v2[at + 2]);
    check(at + 3 + tlvLength <= v2.size());
    if (type == 0x02) seenAuthority = v2.substr(at + 3, tlvLength);
    if (type == 0x01) seenAlpn = v2.substr(at + 3, tlvLength);
    at += 3 + tlvLength;
  }
  check(seenAuthority == authority && seenAlpn == alpn);
  return 0;
}
