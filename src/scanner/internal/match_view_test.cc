#include "scanner/internal/match_view.h"

#include <gtest/gtest.h>

#include <random>

namespace recall::scanner::internal {
namespace {

TEST(MatchViewTest, FoldsAndSqueezes) {
  EXPECT_EQ(MatchText("H.I.V."), "hiv.");
  EXPECT_EQ(MatchText("h-i-v"), "hiv");
  EXPECT_EQ(MatchText("S.T.I.s"), "stis");
  EXPECT_EQ(MatchText("C-Section"), "csection");
  EXPECT_EQ(MatchText("X-ray"), "xray");
  EXPECT_EQ(MatchText("HIV-positive"), "hiv-positive");
  EXPECT_EQ(MatchText("statin-free"), "statin-free");
  EXPECT_EQ(MatchText("E11.9 and covid-19"), "e11.9 and covid-19");
  EXPECT_EQ(MatchText("Dr. Lee"), "dr. lee");
  EXPECT_EQ(MatchText("Crohn's"), "crohns");
  EXPECT_EQ(MatchText("Crohn\xE2\x80\x99s"), "crohns");
  EXPECT_EQ(MatchText("a  b\n\n\tc"), "a b c");
  EXPECT_EQ(MatchText("\xEF\xBC\xA8\xEF\xBC\xA9\xEF\xBC\xB6"), "hiv");  // full-width
  EXPECT_EQ(MatchText("me\xE2\x80\x8Btformin"), "metformin");           // zero-width space
  EXPECT_EQ(MatchText("H\xE2\x80\xA7I\xE2\x80\xA7V"), "hiv");           // hyphenation point
  EXPECT_EQ(MatchText("blood\xC2\xA0pressure"), "blood pressure");      // no-break space
  EXPECT_EQ(MatchText("3:30 p.m."), "3:30 pm.");
}

TEST(MatchViewTest, OriginMapsToSourceBytes) {
  MatchView view;
  const std::string source = "Caf\xC3\xA9 H.I.V";
  BuildMatchView(source, &view);
  EXPECT_EQ(view.text, "caf\xC3\xA9 hiv");
  ASSERT_EQ(view.origin.size(), view.text.size() + 1);
  EXPECT_EQ(view.origin[3], 3u);  // both bytes of é come from offset 3
  EXPECT_EQ(view.origin[4], 3u);
  EXPECT_EQ(view.origin[6], 6u);   // h
  EXPECT_EQ(view.origin[7], 8u);   // i
  EXPECT_EQ(view.origin[8], 10u);  // v
  EXPECT_EQ(view.origin.back(), source.size());
  EXPECT_EQ(SourceEnd(source, view, 5), 5u);  // after é
  EXPECT_EQ(SourceEnd(source, view, 9), 11u);
}

TEST(MatchViewTest, SlowPathAgreesWithAsciiFastPath) {
  std::mt19937 rng(12345);
  const std::string alphabet = "abcXYZ .-_*'`\t\n09:/";
  MatchView fast;
  MatchView slow;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string s;
    const size_t len = rng() % 24;
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    BuildMatchView(s, &fast);
    BuildMatchViewSlowPathForTest(s, &slow);
    ASSERT_EQ(fast.text, slow.text) << "input: '" << s << "'";
    ASSERT_EQ(fast.origin, slow.origin) << "input: '" << s << "'";
  }
}

TEST(MatchViewTest, HybridFoldEqualsFoldForMatching) {
  // Pieces: ASCII, full-width, zero-width, soft hyphen, combining accent, a
  // ligature, emoji, curly quotes, invalid and truncated sequences.
  const char* const pieces[] = {"a",
                                "Z",
                                " ",
                                ".",
                                "\xEF\xBC\xA8",
                                "\xE2\x80\x8B",
                                "\xC2\xAD",
                                "e\xCC\x81",
                                "\xEF\xAC\x81",
                                "\xF0\x9F\x98\x80",
                                "\xE2\x80\x99",
                                "\xFF",
                                "\xC3",
                                "\xE2\x80",
                                "\xC3\x89",
                                "\xCE\xA3"};
  std::mt19937 rng(777);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string s;
    const size_t count = rng() % 12;
    for (size_t i = 0; i < count; ++i) s += pieces[rng() % std::size(pieces)];
    const FoldedText expected = FoldForMatching(s);
    const FoldedText actual = FoldHybridForTest(s);
    ASSERT_EQ(actual.text, expected.text);
    ASSERT_EQ(actual.origin, expected.origin);
  }
}

TEST(MatchViewTest, WordCharacters) {
  EXPECT_TRUE(IsWordAt("ab", 0));
  EXPECT_FALSE(IsWordAt("a b", 1));
  EXPECT_FALSE(IsWordAt("ab", 2));
  EXPECT_TRUE(IsWordBefore("\xC3\xA9x", 2));       // é is a letter
  EXPECT_FALSE(IsWordBefore("\xE2\x98\x95x", 3));  // ☕ is not
  EXPECT_TRUE(IsWordAt("\xC3\xA9", 0));
  EXPECT_FALSE(IsWordBefore("x", 0));
}

}  // namespace
}  // namespace recall::scanner::internal
