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

TEST(ConnectionOptions, ManyOptionsAreRefused) {
  ConnectionOptions options;
  std::string value;
  for (size_t i = 0; i < ConnectionOptions::kMaxOptions; ++i)
    value += "x-" + std::to_string(i) + ",";
  EXPECT_TRUE(options.add(value));
  options.seal();
  for (size_t i = 0; i < ConnectionOptions::kMaxOptions; ++i) {
    EXPECT_TRUE(options.names("X-" + std::to_string(i)));
  }
  EXPECT_FALSE(options.add("one-more"));
}

}  // namespace
}  // namespace sluice
