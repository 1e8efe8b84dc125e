#include "scanner/internal/vocabulary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace recall::scanner::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(VocabularyTest, ParsesSectionsAndMarkers) {
  std::vector<TermEntry> out;
  const Status status = ParseVocabulary(
      "# header\n"
      "Metformin   # trailing comment\n"
      "\n"
      "[warn]\n"
      "  Crohn's Disease  \n"
      "!PrEP\n"
      "[block]\n"
      "H.I.V.\n",
      "test.txt", Category::kMedication, TermKind::kTerm, &out);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].text, "metformin");
  EXPECT_EQ(out[0].severity, Severity::kBlock);
  EXPECT_EQ(out[1].text, "crohns disease");
  EXPECT_EQ(out[1].severity, Severity::kWarn);
  EXPECT_EQ(out[2].text, "prep");
  EXPECT_TRUE(out[2].acronym_only);
  EXPECT_EQ(out[2].severity, Severity::kWarn);
  EXPECT_EQ(out[3].text, "hiv.");
  EXPECT_EQ(out[3].severity, Severity::kBlock);
  EXPECT_EQ(out[3].category, Category::kMedication);
}

TEST(VocabularyTest, ValueSectionOnlyForLabs) {
  std::vector<TermEntry> out;
  ASSERT_TRUE(
      ParseVocabulary("[value]\nldl\n", "lab_tests.txt", Category::kProcedure, TermKind::kLabAnalyte, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].value_only);
  const Status bad = ParseVocabulary("[value]\nldl\n", "medications.txt", Category::kMedication, TermKind::kTerm, &out);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("medications.txt:1"));
}

TEST(VocabularyTest, ErrorsNameFileAndLineOnly) {
  std::vector<TermEntry> out;
  Status s = ParseVocabulary("ok\n[maybe]\n", "d.txt", Category::kDiagnosis, TermKind::kTerm, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("d.txt:2"));
  s = ParseVocabulary("ok\n\xE2\x80\x8B\n", "d.txt", Category::kDiagnosis, TermKind::kTerm, &out);
  EXPECT_THAT(s.message(), HasSubstr("d.txt:2: term folds to nothing"));
  s = ParseVocabulary(std::string(200, 'a'), "d.txt", Category::kDiagnosis, TermKind::kTerm, &out);
  EXPECT_THAT(s.message(), HasSubstr("too long"));
  s = ParseVocabulary("fine\nbad\xC3\n", "d.txt", Category::kDiagnosis, TermKind::kTerm, &out);
  EXPECT_THAT(s.message(), HasSubstr("d.txt:2: invalid UTF-8"));
  s = ParseVocabulary("!x\n", "allow.txt", Category::kDiagnosis, TermKind::kAllow, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = ParseVocabulary("[warn]\n", "allow.txt", Category::kDiagnosis, TermKind::kAllow, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(VocabularyTest, WordList) {
  auto words = ParseWordList("# titles\nDr\nMrs  # comment\n\n", "titles.txt");
  ASSERT_TRUE(words.ok());
  EXPECT_THAT(*words, ElementsAre("dr", "mrs"));
}

TEST(VocabularyTest, IrregularPlurals) {
  EXPECT_THAT(IrregularPlurals("therapy"), ElementsAre("therapies"));
  EXPECT_THAT(IrregularPlurals("biopsy"), ElementsAre("biopsies"));
  EXPECT_THAT(IrregularPlurals("psychosis"), ElementsAre("psychoses"));
  EXPECT_TRUE(IrregularPlurals("delay").empty());  // vowel + y takes -s
  EXPECT_TRUE(IrregularPlurals("hiv").empty());
}

TEST(VocabularyTest, CategoryNames) {
  EXPECT_EQ(CategoryName(Category::kDiagnosis), "diagnosis");
  EXPECT_EQ(CategoryName(Category::kSensitiveService), "sensitive_service");
  EXPECT_EQ(CategoryName(Category::kCode), "code");
}

}  // namespace
}  // namespace recall::scanner::internal
