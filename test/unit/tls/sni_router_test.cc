#include "tls/sni_router.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

SniRouter routerOf(std::initializer_list<std::pair<const char*, size_t>> routes) {
  SniRouter router;
  for (auto [pattern, target] : routes) {
    std::string normalised;
    EXPECT_TRUE(SniRouter::parsePattern(pattern, normalised)) << pattern;
    EXPECT_TRUE(router.add(normalised, target)) << pattern;
  }
  return router;
}

TEST(SniRouter, ExactNamesAndOneLabelWildcards) {
  const SniRouter router = routerOf({{"bank.example.test", 1}, {"*.shop.example.test", 2}});
  EXPECT_EQ(router.route("bank.example.test"), 1u);
  EXPECT_EQ(router.route("eu.shop.example.test"), 2u);
  EXPECT_EQ(router.route("shop.example.test"), SniRouter::kNoRoute) << "the bare suffix";
  EXPECT_EQ(router.route("a.eu.shop.example.test"), SniRouter::kNoRoute) << "one label only";
  EXPECT_EQ(router.route("other.example.test"), SniRouter::kNoRoute);
}

TEST(SniRouter, AnExactNameBeatsAWildcard) {
  const SniRouter router = routerOf({{"*.example.test", 1}, {"vip.example.test", 2}});
  EXPECT_EQ(router.route("vip.example.test"), 2u);
  EXPECT_EQ(router.route("www.example.test"), 1u);
}

TEST(SniRouter, PatternsAreNormalisedAndValidated) {
  std::string out;
  EXPECT_TRUE(SniRouter::parsePattern("Bank.Example.Test.", out));
  EXPECT_EQ(out, "bank.example.test");
  EXPECT_TRUE(SniRouter::parsePattern("*.Shop.Example.Test", out));
  EXPECT_EQ(out, "*.shop.example.test");
  for (const char* bad : {"", "*", "*.", "a.*.test", "**.test", "bad name", "*example.test"}) {
    EXPECT_FALSE(SniRouter::parsePattern(bad, out)) << bad;
  }
}

TEST(SniRouter, RefusesTheSamePatternTwice) {
  SniRouter router;
  EXPECT_TRUE(router.add("a.test", 1));
  EXPECT_FALSE(router.add("a.test", 2));
  EXPECT_TRUE(router.add("*.a.test", 3));
  EXPECT_FALSE(router.add("*.a.test", 4));
}

}  // namespace
}  // namespace sluice
