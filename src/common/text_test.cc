#include "common/text.h"

#include <gtest/gtest.h>

namespace recall {
namespace {

TEST(Utf8Test, Validates) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Jos\xC3\xA9"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(FoldTest, LowersAndMapsBack) {
  FoldedText f = FoldForMatching("STOP Now");
  EXPECT_EQ(f.text, "stop now");
  EXPECT_EQ(f.origin.size(), f.text.size() + 1);
  EXPECT_EQ(f.SourceBegin(5), 5u);
  EXPECT_EQ(f.SourceEnd(8), 8u);
}

TEST(FoldTest, FullWidthAndZeroWidth) {
  // "ＳＴＯＰ" in full-width, then "S<ZWSP>TOP".
  FoldedText f = FoldForMatching("\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0 S\xE2\x80\x8BTOP");
  EXPECT_EQ(f.text, "stop stop");
  // The folded "stop" (bytes 0..4) spans the 12 source bytes of the full-width word.
  EXPECT_EQ(f.SourceBegin(0), 0u);
  EXPECT_EQ(f.SourceEnd(4), 12u);
}

TEST(FoldTest, TrimAndLower) {
  EXPECT_EQ(TrimAscii("  a b \r\n"), "a b");
  EXPECT_EQ(AsciiLower("E-Mail"), "e-mail");
}

}  // namespace
}  // namespace recall
