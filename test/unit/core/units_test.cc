#include "core/units.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ParseDuration, AcceptsEachUnit) {
  EXPECT_EQ(parseDuration("250ms"), Millis(250));
  EXPECT_EQ(parseDuration("5s"), Millis(5000));
  EXPECT_EQ(parseDuration("2m"), Millis(120000));
  EXPECT_EQ(parseDuration("1h"), Millis(3600000));
  EXPECT_EQ(parseDuration("1d"), Millis(86400000));
  EXPECT_EQ(parseDuration("0s"), Millis(0));
}

TEST(ParseDuration, RefusesWhatWouldBeAGuess) {
  for (const char* bad :
       {"", "5", "s", "-5s", "1.5s", "5 s", "5sec", "5S", "99999999999999999999s"}) {
    EXPECT_FALSE(parseDuration(bad).has_value()) << bad;
  }
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(parseSize("16KiB"), 16u * 1024);
  EXPECT_EQ(parseSize("1MiB"), 1u << 20);
  EXPECT_EQ(parseSize("2GiB"), 2ull << 30);
  EXPECT_EQ(parseSize("10KB"), 10000u);
  EXPECT_EQ(parseSize("3MB"), 3000000u);
  EXPECT_EQ(parseSize("512"), 512u);
  EXPECT_EQ(parseSize("512B"), 512u);
}

TEST(ParseSize, RefusesUnknownUnitsAndOverflow) {
  for (const char* bad : {"", "KiB", "1kib", "1 KiB", "-1", "1.5MiB", "99999999999999999999GiB"}) {
    EXPECT_FALSE(parseSize(bad).has_value()) << bad;
  }
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(Millis(250)), "250ms");
  EXPECT_EQ(formatDuration(Millis(30000)), "30s");
  EXPECT_EQ(formatDuration(Millis(120000)), "2m");
  EXPECT_EQ(formatDuration(Millis(90000)), "90s");
  EXPECT_EQ(formatDuration(Millis(0)), "0ms");
}

}  // namespace
}  // namespace sluice
