#include "balance/server_group.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

ServerGroupConfig groupOf(std::initializer_list<bool> backups,
                          BalanceAlgorithm balance = BalanceAlgorithm::kRoundRobin) {
  ServerGroupConfig config;
  config.name = "g";
  config.balance = balance;
  uint16_t port = 9000;
  for (bool backup : backups) {
    ServerConfig server;
    server.name = "s" + std::to_string(config.servers.size());
    server.address = *SocketAddress::parse("127.0.0.1:" + std::to_string(port++));
    server.backup = backup;
    config.servers.push_back(server);
  }
  return config;
}

TEST(ServerGroup, BackupsServeOnlyWhenNoPrimaryIsLeft) {
  const ServerGroupConfig config = groupOf({false, true, false});
  ServerGroup group(config, 1);
  ServerMask excluded(3);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(group.pick(excluded, ""), 1u);
  excluded.insert(0);
  EXPECT_EQ(group.pick(excluded, ""), 2u);
  excluded.insert(2);
  EXPECT_EQ(group.pick(excluded, ""), 1u);
  excluded.insert(1);
  EXPECT_EQ(group.pick(excluded, ""), ServerGroup::kNone);
}

TEST(ServerGroup, CountsOpenConnectionsForLeastConn) {
  const ServerGroupConfig config = groupOf({false, false}, BalanceAlgorithm::kLeastConn);
  ServerGroup group(config, 1);
  const ServerMask none(2);
  group.connectionOpened(0);
  group.connectionOpened(0);
  EXPECT_EQ(group.activeConnections(0), 2u);
  EXPECT_EQ(group.pick(none, ""), 1u);
  group.connectionClosed(0);
  group.connectionClosed(0);
  EXPECT_EQ(group.activeConnections(0), 0u);
}

}  // namespace
}  // namespace sluice
