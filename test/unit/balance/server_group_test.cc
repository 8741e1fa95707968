#include "balance/server_group.h"

#include <gtest/gtest.h>

#include <memory>

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
  ServerGroup group(config, {}, 1);
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
  ServerGroup group(config, {}, 1);
  const ServerMask none(2);
  group.connectionOpened(0);
  group.connectionOpened(0);
  EXPECT_EQ(group.activeConnections(0), 2u);
  EXPECT_EQ(group.pick(none, ""), 1u);
  group.connectionClosed(0);
  group.connectionClosed(0);
  EXPECT_EQ(group.activeConnections(0), 0u);
}

// A group and its servers' shared health, as the health registry hands them to a snapshot.
struct HealthyGroup {
  ServerGroupConfig config;
  ServerStates::Group health;
};
HealthyGroup healthyGroupOf(std::initializer_list<bool> backups) {
  HealthyGroup group{groupOf(backups), {}};
  for (size_t i = 0; i < group.config.servers.size(); ++i)
    group.health.push_back(std::make_shared<ServerHealth>());
  return group;
}

TEST(ServerGroup, OnlyServersThatCanTakeAConnectionArePicked) {
  auto [config, health] = healthyGroupOf({false, false, false});
  config.maxConnections = 2;
  ServerGroup group(config, health, 1);
  const TimePoint now = Clock::now();
  const ServerMask none(3);
  health[0]->setState(ServerHealth::State::kDown);
  health[1]->setState(ServerHealth::State::kDraining);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(group.pick(none, "", now), 2u);
  group.connectionOpened(2);
  group.connectionOpened(2);
  EXPECT_FALSE(group.available(2, now)) << "at max_connections";
  EXPECT_EQ(group.pick(none, "", now), ServerGroup::kNone);
  EXPECT_TRUE(group.allFull(now)) << "up but full: worth queueing for";
  health[2]->setState(ServerHealth::State::kDown);
  EXPECT_FALSE(group.allFull(now)) << "nothing up: no use waiting";
}

TEST(ServerGroup, PassiveFailuresEjectForEveryWorkerUntilTheEjectionEnds) {
  auto [config, health] = healthyGroupOf({false, false});
  config.passive.consecutiveFailures = 3;
  config.passive.ejection = Millis(30000);
  ServerGroup worker1(config, health, 1);
  ServerGroup worker2(config, health, 2);
  const TimePoint now = Clock::now();
  EXPECT_FALSE(worker1.noteFailure(0, now));
  EXPECT_FALSE(worker1.noteFailure(0, now));
  worker1.noteSuccess(0);  // in a row only
  EXPECT_FALSE(worker1.noteFailure(0, now));
  EXPECT_FALSE(worker1.noteFailure(0, now));
  EXPECT_TRUE(worker1.noteFailure(0, now));
  const ServerMask none(2);
  EXPECT_EQ(worker2.pick(none, "", now + Millis(1000)), 1u) << "the other worker sees it";
  EXPECT_EQ(worker2.pick(none, "", now + Millis(1000)), 1u);
  EXPECT_TRUE(worker2.available(0, now + Millis(30001))) << "back after the ejection";
}

TEST(ServerGroup, OneOutageIsOneEjectionHoweverManyWorkersSeeItFail) {
  auto [config, health] = healthyGroupOf({false, false});
  config.passive.consecutiveFailures = 2;
  config.passive.ejection = Millis(30000);
  ServerGroup worker1(config, health, 1);
  ServerGroup worker2(config, health, 2);
  const TimePoint now = Clock::now();
  EXPECT_FALSE(worker1.noteFailure(0, now));
  EXPECT_TRUE(worker1.noteFailure(0, now));
  // Requests that were in flight when it went bad fail after the ejection, on both workers.
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(worker1.noteFailure(0, now + Millis(10)));
    EXPECT_FALSE(worker2.noteFailure(0, now + Millis(10)));
  }
  EXPECT_EQ(worker1.counters(0).ejections.read() + worker2.counters(0).ejections.read(), 1u);
  // Once the ejection is over, a failing server is ejected again: a new outage.
  EXPECT_FALSE(worker2.noteFailure(0, now + Millis(30001)));
  EXPECT_TRUE(worker2.noteFailure(0, now + Millis(30001)));
}

TEST(ServerGroup, SlowStartRampsARecoveredServersShareUp) {
  auto [config, health] = healthyGroupOf({false, false});
  config.slowStart = Millis(10000);
  ServerGroup group(config, health, 7);
  health[1]->setState(ServerHealth::State::kDown);
  health[1]->setState(ServerHealth::State::kUp);  // just recovered
  const TimePoint upAt = Clock::now();
  auto share = [&](Millis after) {
    const ServerMask none(2);
    int picks = 0;
    for (int i = 0; i < 4000; ++i)
      picks += group.pick(none, "", upAt + after) == 1u;
    return picks / 4000.0;
  };
  EXPECT_LT(share(Millis(0)), 0.05);
  EXPECT_NEAR(share(Millis(5000)), 0.25, 0.08) << "half way: half its weight";
  EXPECT_NEAR(share(Millis(10000)), 0.5, 0.02) << "then its full share";
}

}  // namespace
}  // namespace sluice
