// The ASCII helpers every field name and value goes through: written by hand for speed, so
// pinned against the rules they stand for.
#include "http/ascii.h"

#include <gtest/gtest.h>

#include <string>

#include "http/http1/spans.h"

namespace sluice {
namespace {

TEST(Ascii, EqualsIgnoreCaseFoldsLettersOnly) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-length"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
  EXPECT_FALSE(equalsIgnoreCase("content-length", "content-lengt"));
  // '@' and '`', '[' and '{' differ by the case bit but are no letters.
  EXPECT_FALSE(equalsIgnoreCase("@", "`"));
  EXPECT_FALSE(equalsIgnoreCase("[", "{"));
  // A NUL does not end the comparison.
  EXPECT_FALSE(equalsIgnoreCase(std::string("te\0a", 4), std::string("te\0b", 4)));
  EXPECT_TRUE(equalsIgnoreCase(std::string("te\0A", 4), std::string("te\0a", 4)));
  // Bytes past ASCII compare as they are.
  EXPECT_FALSE(equalsIgnoreCase("\xc3\xa9", "\xc3\x89"));
  EXPECT_TRUE(startsWithIgnoreCase("X-Forwarded-For", "x-forwarded-"));
  EXPECT_FALSE(startsWithIgnoreCase("X-Forw", "x-forwarded-"));
}

TEST(Ascii, TokensAreTheCharactersOfRfc9110) {
  EXPECT_TRUE(isToken("Content-Type"));
  EXPECT_TRUE(isToken("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(isToken(""));
  for (char c : std::string("\"(),/:;<=>?@[\\]{} \t\x7f\x80")) {
    EXPECT_FALSE(isToken(std::string("a") + c)) << static_cast<int>(c);
  }
  EXPECT_FALSE(isToken(std::string("a\0b", 3)));
}

TEST(Ascii, VisibleAsciiIsTheBytesFrom0x21To0x7e) {
  EXPECT_TRUE(isVisibleAscii("/a/b?c=d&e=%20~"));
  EXPECT_TRUE(isVisibleAscii(""));
  for (const char c : std::string("\x00\x01\t\n\r \x7f\x80\xee\xff", 10)) {
    EXPECT_FALSE(isVisibleAscii(std::string("/a") + c + "b")) << static_cast<int>(c);
  }
}

TEST(Ascii, LineBreaksAndBareLineFeedsAreFound) {
  EXPECT_FALSE(hasLineBreak(""));
  EXPECT_FALSE(hasLineBreak(std::string_view()));
  EXPECT_FALSE(hasLineBreak("text/html; charset=utf-8"));
  EXPECT_TRUE(hasLineBreak("a\r"));
  EXPECT_TRUE(hasLineBreak("\nb"));

  EXPECT_FALSE(containsBareLf("", 0, '\0'));
  EXPECT_FALSE(containsBareLf(nullptr, 0, '\0'));
  const std::string crlf = "A: b\r\nC: d\r\n\r\n";
  EXPECT_FALSE(containsBareLf(crlf.data(), crlf.size(), '\0'));
  const std::string bare = "A: b\r\nC: d\n\r\n";
  EXPECT_TRUE(containsBareLf(bare.data(), bare.size(), '\0'));
  // The byte before the data decides for a LF at its start.
  EXPECT_FALSE(containsBareLf("\nx", 2, '\r'));
  EXPECT_TRUE(containsBareLf("\nx", 2, 'x'));
}

}  // namespace
}  // namespace sluice
