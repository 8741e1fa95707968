#include "net/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace sluice {
namespace {

unsigned bitAt(std::string_view bytes, unsigned bit) {
  return (static_cast<uint8_t>(bytes[bit / 8]) >> (7 - bit % 8)) & 1u;
}

}  // namespace

void CidrSet::insert(std::vector<Node>& nodes, std::string_view bytes, unsigned prefix) {
  uint32_t at = 0;
  for (unsigned bit = 0; bit < prefix && !nodes[at].network; ++bit) {
    const unsigned side = bitAt(bytes, bit);
    if (nodes[at].child[side] == 0) {
      nodes[at].child[side] = static_cast<uint32_t>(nodes.size());
      nodes.emplace_back();
    }
    at = nodes[at].child[side];
  }
  nodes[at].network = true;  // (a shorter network already covering it leaves it unchanged)
}

bool CidrSet::lookup(const std::vector<Node>& nodes, std::string_view bytes) {
  uint32_t at = 0;
  const auto bits = static_cast<unsigned>(bytes.size() * 8);
  for (unsigned bit = 0;; ++bit) {
    if (nodes[at].network) return true;
    if (bit == bits) return false;
    at = nodes[at].child[bitAt(bytes, bit)];
    if (at == 0) return false;
  }
}

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
  // Host bits are never looked at, so 10.1.2.3/8 and 10.0.0.0/8 are the same network.
  insert(length == 4 ? v4_ : v6_, std::string_view(reinterpret_cast<char*>(bytes), length), prefix);
  ++networks_;
  return true;
}

bool CidrSet::contains(const SocketAddress& address) const {
  std::string_view ip = address.ipBytes();
  // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d; match it as IPv4.
  static constexpr char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff'};
  if (ip.size() == 16 && ip.substr(0, 12) == std::string_view(kMapped, 12)) ip = ip.substr(12);
  if (ip.size() == 4) return lookup(v4_, ip);
  if (ip.size() == 16) return lookup(v6_, ip);
  return false;
}

}  // namespace sluice
