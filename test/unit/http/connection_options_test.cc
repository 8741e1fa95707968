#include "http/connection_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

TEST(ConnectionOptions, ReadsEveryFieldAndAnswersCaseInsensitively) {
  ConnectionOptions options;
  EXPECT_TRUE(options.add("keep-alive, X-Private ,,Upgrade"));
  EXPECT_TRUE(options.add("x-other"));
  options.seal();
  EXPECT_TRUE(options.keepAlive());
  EXPECT_TRUE(options.upgrade());
  EXPECT_FALSE(options.close());
  EXPECT_TRUE(options.names("x-private"));
  EXPECT_TRUE(options.names("X-OTHER"));
  EXPECT_FALSE(options.names("x-priv"));
  EXPECT_FALSE(options.names("x-privatee"));
  EXPECT_TRUE(options.namedFramingField().empty());
}

TEST(ConnectionOptions, NamesFramingFieldsAndRefusesNonTokens) {
  for (const char* value : {"Content-Length", "close, TRANSFER-ENCODING", "host"}) {
    ConnectionOptions options;
    ASSERT_TRUE(options.add(value));
    options.seal();
    EXPECT_FALSE(options.namedFramingField().empty()) << value;
  }
  ConnectionOptions options;
  EXPECT_FALSE(options.add("a b"));
  EXPECT_FALSE(options.add("a/b"));
}

TEST(ConnectionOptions, ManyOptionsStayCheapToLookUp) {
  // Thousands of options and fields: sorted once, then each lookup is a binary search.
  std::vector<std::string> names;
  for (int i = 0; i < 5000; ++i)
    names.push_back("x-" + std::to_string(i));
  ConnectionOptions options;
  for (const std::string& name : names)
    ASSERT_TRUE(options.add(name));
  options.seal();
  for (const std::string& name : names)
    EXPECT_TRUE(options.names(name));
  EXPECT_FALSE(options.names("x-5000"));
}

}  // namespace
}  // namespace sluice
