#include "net/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace sluice {
namespace {

// Whether the first `prefix` bits of `a` and `b` (same length) agree.
bool samePrefix(std::string_view a, std::string_view b, unsigned prefix) {
  const unsigned fullBytes = prefix / 8;
  if (a.substr(0, fullBytes) != b.substr(0, fullBytes)) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (static_cast<uint8_t>(a[fullBytes]) & mask) == (static_cast<uint8_t>(b[fullBytes]) & mask);
}

}  // namespace

bool CidrSet::add(std::string_view text, std::string* why) {
  auto fail = [&](std::string message) {
    if (why) *why = std::move(message);
    return false;
  };
  const size_t slash = text.find('/');
  const std::string ip(text.substr(0, slash));
  unsigned char bytes[16];
  size_t length = 0;
  if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) {
    length = 4;
  } else if (inet_pton(AF_INET6, ip.c_str(), bytes) == 1) {
    length = 16;
  } else {
    return fail("'" + ip + "' is not an IPv4 or IPv6 address");
  }
  unsigned prefix = static_cast<unsigned>(length * 8);
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc() || end != bits.data() + bits.size() || prefix > length * 8) {
      return fail("'/" + std::string(bits) + "' is not a prefix length from 0 to " +
                  std::to_string(length * 8));
    }
  }
  Network network{std::string(reinterpret_cast<char*>(bytes), length), prefix};
  // Zero the host bits so that 10.1.2.3/8 and 10.0.0.0/8 are the same network.
  for (size_t bit = prefix; bit < length * 8; ++bit) {
    network.bytes[bit / 8] = static_cast<char>(network.bytes[bit / 8] & ~(0x80 >> (bit % 8)));
  }
  networks_.push_back(std::move(network));
  return true;
}

bool CidrSet::contains(const SocketAddress& address) const {
  std::string_view ip = address.ipBytes();
  // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d; match it as IPv4.
  static constexpr char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff'};
  if (ip.size() == 16 && ip.substr(0, 12) == std::string_view(kMapped, 12)) ip = ip.substr(12);
  for (const Network& network : networks_) {
    if (network.bytes.size() == ip.size() && samePrefix(network.bytes, ip, network.prefix)) {
      return true;
    }
  }
  return false;
}

}  // namespace sluice
