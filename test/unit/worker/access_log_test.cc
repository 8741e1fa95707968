#include "worker/access_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sluice {
namespace {

// The record for one string field, parsed back as JSON (which throws on invalid JSON).
std::string roundTrip(std::string_view value, std::string* raw = nullptr) {
  AccessLogLine line;
  const std::string& text = line.begin().field("v", value).finish();
  if (raw) *raw = text;
  return nlohmann::json::parse(text)["v"];
}

TEST(AccessLogLine, IsValidJsonWhateverTheBytes) {
  EXPECT_EQ(roundTrip("plain /path?q=1"), "plain /path?q=1");
  EXPECT_EQ(roundTrip("quote \" backslash \\ tab \t nl \n del \x7f"),
            "quote \" backslash \\ tab \t nl \n del \x7f");
  EXPECT_EQ(roundTrip("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")
      << "well-formed UTF-8 is kept";
  // Each malformed byte becomes \u00XX: the value is kept and the line stays valid.
  std::string raw;
  EXPECT_EQ(roundTrip("a\xff"
                      "b",
                      &raw),
            "a\xc3\xbf"
            "b");
  EXPECT_NE(raw.find("a\\u00ff"
                     "b"),
            std::string::npos)
      << raw;
  for (const char* bad : {"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
                          "\x80", "\xf8\x88\x80\x80\x80"}) {
    EXPECT_NO_THROW(roundTrip(bad)) << bad;
  }
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    EXPECT_NO_THROW(roundTrip(std::string_view(&c, 1))) << byte;
  }
}

}  // namespace
}  // namespace sluice
