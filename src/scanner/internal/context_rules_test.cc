#include "scanner/internal/context_rules.h"

#include <gtest/gtest.h>

namespace recall::scanner::internal {
namespace {

size_t ValueAfter(std::string_view view, std::string_view name) {
  const size_t pos = view.find(name);
  return LabValueEnd(view, pos + name.size());
}

std::string ValueText(std::string_view view, std::string_view name) {
  const size_t end = ValueAfter(view, name);
  if (end == std::string_view::npos) return "<none>";
  const size_t begin = view.find(name) + name.size();
  return std::string(view.substr(begin, end - begin));
}

TEST(LabValueTest, Values) {
  EXPECT_EQ(ValueText("your a1c of 9.2 is high", "a1c"), " of 9.2");
  EXPECT_EQ(ValueText("a1c 9.2% today", "a1c"), " 9.2%");
  EXPECT_EQ(ValueText("ldl: 160 mg/dl", "ldl"), ": 160 mg/dl");
  EXPECT_EQ(ValueText("blood pressure 150/95", "blood pressure"), " 150/95");
  EXPECT_EQ(ValueText("bp was 150/95.", "bp"), " was 150/95");
  EXPECT_EQ(ValueText("cholesterol is high", "cholesterol"), " is high");
  EXPECT_EQ(ValueText("cholesterol levels are too high", "cholesterol"), " levels are too high");
  EXPECT_EQ(ValueText("glucose level of 240", "glucose"), " level of 240");
  EXPECT_EQ(ValueText("a1c came back at 7", "a1c"), " came back at 7");
  EXPECT_EQ(ValueText("platelets 250,000", "platelets"), " 250,000");
  EXPECT_EQ(LabValueEnd("weight of 250 lbs today", 6, true), 17u);
}

TEST(LabValueTest, NotValues) {
  EXPECT_EQ(ValueAfter("blood pressure check at 3:30", "blood pressure"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("bp at 9 am", "bp"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("bp at 9am", "bp"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("bp at 9 pm.", "bp"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("pulse 97209", "pulse"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("pulse fitness", "pulse"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("a1c high", "a1c"), std::string_view::npos);  // no linking verb
  EXPECT_EQ(ValueAfter("ldl", "ldl"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("weight 2024", "weight"), std::string_view::npos);
  EXPECT_EQ(ValueAfter("b12x 5", "b12"), std::string_view::npos);
}

TEST(LabValueTest, AmbiguousNamesNeedAPlausibleFollower) {
  const std::string_view games = "psa: 3 games this weekend";
  EXPECT_EQ(LabValueEnd(games, 3, /*ambiguous_name=*/true), std::string_view::npos);
  EXPECT_NE(LabValueEnd(games, 3, /*ambiguous_name=*/false), std::string_view::npos);
  const std::string_view result = "psa 6.1 is high";
  EXPECT_EQ(LabValueEnd(result, 3, true), 7u);
  const std::string_view end = "bp was 150/95.";
  EXPECT_EQ(LabValueEnd(end, 2, true), 13u);
}

const std::unordered_set<std::string> kTitles = {"dr", "mr", "mrs", "ms", "doctor"};

bool Surname(std::string_view text, std::string_view word) {
  const size_t start = text.find(word);
  return IsSurnameAfterTitle(text, start, start + word.size(), kTitles);
}

TEST(SurnameTest, AfterTitles) {
  EXPECT_TRUE(Surname("Dr. Burns", "Burns"));
  EXPECT_TRUE(Surname("see Dr Burns today", "Burns"));
  EXPECT_TRUE(Surname("Mrs. Anna Burns", "Burns"));
  EXPECT_TRUE(Surname("Dr. Anna M. Burns", "Burns"));
  EXPECT_TRUE(Surname("Doctor Burns", "Burns"));
  EXPECT_TRUE(
      Surname("Dr.\xC2\xA0"
              "Burns",
              "Burns"));
  EXPECT_FALSE(Surname("Dr. burns", "burns"));       // not capitalised
  EXPECT_FALSE(Surname("Dr. BURNS", "BURNS"));       // capitals: an acronym or shouting
  EXPECT_FALSE(Surname("Dr. Lee, Burns", "Burns"));  // the comma ends the name
  EXPECT_FALSE(Surname("Burns", "Burns"));
  EXPECT_FALSE(Surname("Treat Burns", "Burns"));
  EXPECT_FALSE(Surname("Dr. a b Burns", "Burns"));
  EXPECT_FALSE(Surname("Dr. Anna Maria Jose Burns", "Burns"));  // too far from the title
}

TEST(CountUppercaseTest, Counts) {
  EXPECT_EQ(CountUppercase("PrEP"), 3u);
  EXPECT_EQ(CountUppercase("aids"), 0u);
  EXPECT_EQ(CountUppercase("\xEF\xBC\xA1\xEF\xBC\xA9"), 2u);  // full-width AI
}

TEST(CodeShapeTest, Standalone) {
  EXPECT_TRUE(CodeIsStandalone("dx e11.9 today", 3, 8));
  EXPECT_FALSE(CodeIsStandalone("v10.2.3", 0, 5));
  EXPECT_FALSE(CodeIsStandalone("x/e11.9", 2, 7));
  EXPECT_TRUE(CodeIsStandalone("e11.9.", 0, 5));
}

}  // namespace
}  // namespace recall::scanner::internal
