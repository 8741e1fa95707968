#include "http/path_normalizer.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

// The normal form of `path`, or "!bad-escape" / "!above-root".
std::string normal(std::string_view path, PathNormalization how = {}) {
  std::string out, scratch;
  switch (normalisePath(path, how, out, scratch)) {
    case PathVerdict::kUnchanged:
      return std::string(path);
    case PathVerdict::kRewritten:
      return out;
    case PathVerdict::kBadEscape:
      return "!bad-escape";
    case PathVerdict::kAboveRoot:
      return "!above-root";
  }
  return "?";
}

TEST(PathNormalizer, LeavesANormalPathAloneWithoutCopying) {
  std::string out = "untouched", scratch;
  EXPECT_EQ(normalisePath("/products/shoes.html", {}, out, scratch), PathVerdict::kUnchanged);
  EXPECT_EQ(out, "untouched");
  EXPECT_EQ(normal("/"), "/");
  EXPECT_EQ(normal("/a.b/c..d/.e"), "/a.b/c..d/.e") << "dots inside segments are names";
}

TEST(PathNormalizer, DecodesUnreservedEscapesAndUppercasesTheRest) {
  EXPECT_EQ(normal("/%61dmin"), "/admin");
  EXPECT_EQ(normal("/%41%7a%2D%2e%5F%7E"), "/Az-._~");
  EXPECT_EQ(normal("/a%2fb%3f%25"), "/a%2Fb%3F%25") << "reserved characters stay escaped";
  EXPECT_EQ(normal("/a%zz"), "!bad-escape");
  EXPECT_EQ(normal("/a%4"), "!bad-escape");
  EXPECT_EQ(normal("/a%"), "!bad-escape");
}

TEST(PathNormalizer, RemovesDotSegmentsAndMergesSlashes) {
  EXPECT_EQ(normal("/./admin"), "/admin");
  EXPECT_EQ(normal("//admin"), "/admin");
  EXPECT_EQ(normal("/a//b///c/"), "/a/b/c/");
  EXPECT_EQ(normal("/a/b/../c"), "/a/c");
  EXPECT_EQ(normal("/a/b/.."), "/a/");
  EXPECT_EQ(normal("/a/."), "/a/");
  EXPECT_EQ(normal("/a/.."), "/");
  EXPECT_EQ(normal("/%2e%2e/x"), "!above-root") << "escaped dots are dots";
  EXPECT_EQ(normal("/.."), "!above-root");
  EXPECT_EQ(normal("/a/../../b"), "!above-root");
  EXPECT_EQ(normal("/a/.%2e/b"), "/b");
}

TEST(PathNormalizer, EachStepCanBeTurnedOff) {
  PathNormalization none{false, false, false};
  EXPECT_EQ(normal("/a/./b//%61", none), "/a/./b//%61");
  EXPECT_EQ(normal("/a/../..", none), "!above-root") << "never above the root";
  PathNormalization slashesKept{true, true, false};
  EXPECT_EQ(normal("/a//b/./c", slashesKept), "/a//b/c");
}

}  // namespace
}  // namespace sluice
