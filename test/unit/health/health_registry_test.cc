#include "health/health_registry.h"

#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace sluice {
namespace {

std::shared_ptr<const ConfigSnapshot> load(const std::string& servers) {
  const ConfigLoadResult result = loadConfigText(
      "server_groups:\n  - name: web\n    protocol: http\n    servers:\n" + servers +
          "vips:\n  - {name: v, listen: 127.0.0.1:8080, service: http, default_group: web}\n",
      "t.yaml");
  EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].toString());
  return result.snapshot;
}

TEST(HealthRegistry, AServerKeepsItsStateAcrossSnapshotsByGroupNameAndAddress) {
  HealthRegistry registry;
  const auto first = load(
      "      - {name: a, address: 127.0.0.1:9001}\n      - {name: b, address: 127.0.0.1:9002}\n");
  const auto before = registry.statesFor(*first);
  before->of(0, 0).setState(ServerHealth::State::kDown);
  before->of(0, 1).ejectUntil(Clock::now() + Millis(60000));

  // b moves to the front, a new server c comes, and a keeps its place.
  const auto second = load(
      "      - {name: b, address: 127.0.0.1:9002}\n      - {name: a, address: 127.0.0.1:9001}\n"
      "      - {name: c, address: 127.0.0.1:9003}\n");
  const auto after = registry.statesFor(*second);
  EXPECT_EQ(&after->of(0, 1), &before->of(0, 0)) << "the same state object, not a copy";
  EXPECT_EQ(after->of(0, 1).state(), ServerHealth::State::kDown) << "down stays down";
  EXPECT_TRUE(after->of(0, 0).ejected(Clock::now())) << "an ejection runs on";
  EXPECT_EQ(after->of(0, 2).state(), ServerHealth::State::kUp) << "a new server starts up";
}

TEST(HealthRegistry, AServerAtANewAddressOrDrainedByConfigChangesState) {
  HealthRegistry registry;
  const auto before = registry.statesFor(*load("      - {name: a, address: 127.0.0.1:9001}\n"));
  before->of(0, 0).setState(ServerHealth::State::kDown);
  const auto moved = registry.statesFor(*load("      - {name: a, address: 127.0.0.1:9101}\n"));
  EXPECT_NE(&moved->of(0, 0), &before->of(0, 0));
  EXPECT_EQ(moved->of(0, 0).state(), ServerHealth::State::kUp) << "another endpoint: new state";

  const auto drained =
      registry.statesFor(*load("      - {name: a, address: 127.0.0.1:9101, drain: true}\n"));
  EXPECT_EQ(&drained->of(0, 0), &moved->of(0, 0));
  EXPECT_EQ(drained->of(0, 0).state(), ServerHealth::State::kDraining);
  const auto undrained = registry.statesFor(*load("      - {name: a, address: 127.0.0.1:9101}\n"));
  EXPECT_EQ(undrained->of(0, 0).state(), ServerHealth::State::kUp);
}

TEST(HealthRegistry, ServersTheSnapshotNoLongerHasAreForgotten) {
  HealthRegistry registry;
  const auto first = registry.statesFor(*load("      - {name: a, address: 127.0.0.1:9001}\n"));
  first->of(0, 0).setState(ServerHealth::State::kDown);
  registry.statesFor(*load("      - {name: z, address: 127.0.0.1:9009}\n"));
  const auto back = registry.statesFor(*load("      - {name: a, address: 127.0.0.1:9001}\n"));
  EXPECT_NE(&back->of(0, 0), &first->of(0, 0));
  EXPECT_EQ(back->of(0, 0).state(), ServerHealth::State::kUp);
}

}  // namespace
}  // namespace sluice
