#include "net/socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "net/address.h"

namespace sluice {
namespace {

TEST(ListenTcp, AcceptedSocketsHaveNagleOff) {
  std::string error;
  UniqueFd listener = listenTcp(*SocketAddress::parse("127.0.0.1:0"), 16, error);
  ASSERT_TRUE(listener.valid()) << error;
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  UniqueFd client =
      connectTcp(*SocketAddress::parse("127.0.0.1:" + std::to_string(ntohs(bound.sin_port))));
  ASSERT_TRUE(client.valid());
  int accepted = -1;
  for (int i = 0; i < 1000 && accepted < 0; ++i)
    accepted = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(accepted, 0);
  UniqueFd server(accepted);
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  ASSERT_EQ(::getsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &size), 0);
  EXPECT_EQ(nodelay, 1) << "set on the listener once, inherited by every accepted socket";
}

}  // namespace
}  // namespace sluice
