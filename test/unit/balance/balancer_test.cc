#include "balance/balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "balance/maglev.h"

namespace sluice {
namespace {

std::vector<BalancerServer> servers(std::initializer_list<uint32_t> weights) {
  std::vector<BalancerServer> out;
  for (uint32_t w : weights)
    out.push_back({"s" + std::to_string(out.size()), w});
  return out;
}

std::string ipv4(uint32_t n) {
  return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
}

TEST(RoundRobin, SpreadsExactlyByWeightAndInterleaves) {
  auto rr = makeBalancer(BalanceAlgorithm::kRoundRobin, servers({5, 1, 1}), 0);
  const ServerMask all = ServerMask::all(3);
  std::string order;
  for (int i = 0; i < 7; ++i)
    order += static_cast<char>('a' + rr->pick(all, {}));
  EXPECT_EQ(order, "aabacaa");  // smooth: never five a's in a row
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 700; ++i)
    ++counts[rr->pick(all, {})];
  EXPECT_EQ(counts[0], 500);
  EXPECT_EQ(counts[1], 100);
  EXPECT_EQ(counts[2], 100);
}

TEST(RoundRobin, SkipsServersThatAreNotCandidates) {
  auto rr = makeBalancer(BalanceAlgorithm::kRoundRobin, servers({1, 1, 1}), 0);
  ServerMask some = ServerMask::all(3);
  some.erase(1);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(rr->pick(some, {}), 1u);
}

TEST(LeastConn, ComparesLoadPerWeight) {
  auto lc = makeBalancer(BalanceAlgorithm::kLeastConn, servers({1, 1, 4}), 0);
  const ServerMask all = ServerMask::all(3);
  uint32_t active[3] = {3, 2, 6};  // per weight: 3, 2, 1.5
  EXPECT_EQ(lc->pick(all, {{}, active}), 2u);
  active[2] = 12;  // per weight: 3, 2, 3
  EXPECT_EQ(lc->pick(all, {{}, active}), 1u);
}

TEST(LeastConn, RotatesBetweenEquallyLoadedServers) {
  auto lc = makeBalancer(BalanceAlgorithm::kLeastConn, servers({1, 1, 1}), 0);
  const ServerMask all = ServerMask::all(3);
  uint32_t active[3] = {0, 0, 0};
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 30; ++i)
    ++counts[lc->pick(all, {{}, active})];
  EXPECT_EQ(counts[0], 10);
  EXPECT_EQ(counts[1], 10);
  EXPECT_EQ(counts[2], 10);
}

TEST(RandomTwo, PrefersTheLessLoadedOfTwoAndRespectsWeight) {
  auto r2 = makeBalancer(BalanceAlgorithm::kRandomTwo, servers({1, 1}), 7);
  const ServerMask all = ServerMask::all(2);
  uint32_t active[2] = {10, 0};
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 1000; ++i)
    ++counts[r2->pick(all, {{}, active})];
  // Server 0 wins only when both draws pick it: about a quarter of the time.
  EXPECT_GT(counts[1], 650);
  EXPECT_GT(counts[0], 150);

  auto weighted = makeBalancer(BalanceAlgorithm::kRandomTwo, servers({1, 3}), 7);
  uint32_t idle[2] = {0, 0};
  counts.clear();
  for (int i = 0; i < 4000; ++i)
    ++counts[weighted->pick(all, {{}, idle})];
  EXPECT_NEAR(counts[1] / 4000.0, 0.75, 0.05);
}

TEST(Maglev, SameClientSameServer) {
  auto mg = makeBalancer(BalanceAlgorithm::kSourceHash, servers({1, 1, 1, 1}), 0);
  const ServerMask all = ServerMask::all(4);
  for (uint32_t client = 0; client < 100; ++client) {
    const std::string ip = ipv4(0x0a000000 + client);
    const uint32_t first = mg->pick(all, {ip, nullptr});
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(mg->pick(all, {ip, nullptr}), first);
  }
}

TEST(Maglev, SpreadsClientsByWeight) {
  auto mg = makeBalancer(BalanceAlgorithm::kSourceHash, servers({1, 1, 2}), 0);
  const ServerMask all = ServerMask::all(3);
  std::map<uint32_t, int> counts;
  constexpr int kClients = 40000;
  for (uint32_t c = 0; c < kClients; ++c)
    ++counts[mg->pick(all, {ipv4(0xc0000000 + c), nullptr})];
  EXPECT_NEAR(counts[0] / double(kClients), 0.25, 0.03);
  EXPECT_NEAR(counts[1] / double(kClients), 0.25, 0.03);
  EXPECT_NEAR(counts[2] / double(kClients), 0.50, 0.03);
}

TEST(Maglev, RemovingOneOfNServersMovesAboutOneNth) {
  constexpr int kServers = 10, kClients = 50000;
  std::vector<BalancerServer> before, after;
  for (int i = 0; i < kServers; ++i)
    before.push_back({"server-" + std::to_string(i), 1});
  after = before;
  after.erase(after.begin() + 3);  // server-3 leaves
  MaglevBalancer full(before), reduced(after);
  const ServerMask allBefore = ServerMask::all(kServers), allAfter = ServerMask::all(kServers - 1);
  int moved = 0, movedFromSurvivors = 0;
  for (uint32_t c = 0; c < kClients; ++c) {
    const std::string ip = ipv4(0x64000000 + c * 7);
    const std::string& was = before[full.pick(allBefore, {ip, nullptr})].key;
    const std::string& now = after[reduced.pick(allAfter, {ip, nullptr})].key;
    if (was != now) {
      ++moved;
      if (was != "server-3") ++movedFromSurvivors;
    }
  }
  const double fraction = moved / double(kClients);
  EXPECT_NEAR(fraction, 1.0 / kServers, 0.03) << "moved " << moved;
  // Maglev trades a little stability for balance: a few clients of surviving servers move too.
  EXPECT_LT(movedFromSurvivors / double(kClients), 0.01);
}

TEST(Maglev, FallsBackDeterministicallyWhenItsServerIsExcluded) {
  auto mg = makeBalancer(BalanceAlgorithm::kSourceHash, servers({1, 1, 1}), 0);
  const std::string ip = ipv4(0x01020304);
  ServerMask all = ServerMask::all(3);
  const uint32_t home = mg->pick(all, {ip, nullptr});
  all.erase(home);
  const uint32_t fallback = mg->pick(all, {ip, nullptr});
  EXPECT_NE(fallback, home);
  EXPECT_EQ(mg->pick(all, {ip, nullptr}), fallback);
}

}  // namespace
}  // namespace sluice
