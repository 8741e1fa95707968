#include "core/timer_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sluice {
namespace {

TimePoint at(int ms) {
  return TimePoint(Millis(ms));
}

TEST(TimerQueue, FiresDueTimersInDeadlineOrder) {
  TimerQueue queue;
  std::vector<int> fired;
  Timer a(queue, [&] { fired.push_back(1); });
  Timer b(queue, [&] { fired.push_back(2); });
  Timer c(queue, [&] { fired.push_back(3); });
  a.armAt(at(30));
  b.armAt(at(10));
  c.armAt(at(20));
  EXPECT_EQ(queue.msUntilNext(at(0)), 10);
  queue.fireDue(at(25));
  EXPECT_EQ(fired, (std::vector<int>{2, 3}));
  EXPECT_FALSE(b.armed());
  EXPECT_TRUE(a.armed());
  queue.fireDue(at(30));
  EXPECT_EQ(fired, (std::vector<int>{2, 3, 1}));
  EXPECT_EQ(queue.msUntilNext(at(30)), -1);
}

TEST(TimerQueue, RearmingMovesTheDeadlineAndCancelStopsIt) {
  TimerQueue queue;
  int fired = 0;
  Timer t(queue, [&] { ++fired; });
  t.armAt(at(10));
  t.armAt(at(50));  // the 10ms entry is now stale
  queue.fireDue(at(20));
  EXPECT_EQ(fired, 0);
  queue.fireDue(at(50));
  EXPECT_EQ(fired, 1);
  t.armAt(at(60));
  t.cancel();
  queue.fireDue(at(100));
  EXPECT_EQ(fired, 1);
}

TEST(TimerQueue, ADestroyedTimerNeverFiresAndItsSlotIsReused) {
  TimerQueue queue;
  int firedOld = 0, firedNew = 0;
  auto old = std::make_unique<Timer>(queue, [&] { ++firedOld; });
  old->armAt(at(10));
  old.reset();
  Timer replacement(queue, [&] { ++firedNew; });  // takes the freed slot
  replacement.armAt(at(20));
  queue.fireDue(at(15));
  EXPECT_EQ(firedOld, 0);
  EXPECT_EQ(firedNew, 0);
  queue.fireDue(at(20));
  EXPECT_EQ(firedNew, 1);
}

TEST(TimerQueue, ACallbackMayDestroyAnotherDueTimer) {
  TimerQueue queue;
  std::unique_ptr<Timer> victim;
  int victimFired = 0;
  Timer killer(queue, [&] { victim.reset(); });
  victim = std::make_unique<Timer>(queue, [&] { ++victimFired; });
  killer.armAt(at(10));
  victim->armAt(at(10));
  queue.fireDue(at(10));
  // Whichever ran first, the victim fired at most once and nothing touched freed memory.
  EXPECT_LE(victimFired, 1);
}

}  // namespace
}  // namespace sluice
