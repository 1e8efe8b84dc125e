#include "scanner/internal/system_dictionary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace recall::scanner::internal {
namespace {

using ::testing::ElementsAre;

// A tiny dictionary in hunspell's format, written for this test.
constexpr std::string_view kAff =
    "SET UTF-8\n"
    "PFX A Y 1\n"
    "PFX A   0     re         .\n"
    "SFX D Y 3\n"
    "SFX D   0     d          e\n"
    "SFX D   y     ied        [^aeiou]y\n"
    "SFX D   0     ed         [^ey]\n"
    "SFX S Y 2\n"
    "SFX S   y     ies        [^aeiou]y\n"
    "SFX S   0     s          [^y]\n";

constexpr std::string_view kDic =
    "4\n"
    "schedule/ADS\n"
    "copy/DS\n"
    "Arnold/M\n"
    "duplicate/D\n";

TEST(SystemDictionaryTest, ExpandsAffixes) {
  const auto forms = ExpandHunspellForms(kAff, kDic);
  for (const char* word : {"schedule", "scheduled", "schedules", "reschedule", "rescheduled", "reschedules", "copy",
                           "copied", "copies", "arnold", "duplicate", "duplicated"}) {
    EXPECT_TRUE(forms.contains(word)) << word;
  }
  EXPECT_FALSE(forms.contains("copyed"));
}

TEST(SystemDictionaryTest, FiltersEverydayWordsNamesAndShortWords) {
  const auto english = ExpandHunspellForms(kAff, kDic);
  const std::string med =
      "3\n"
      "    header line of the dictionary\n"
      "cholecystitis/S\n"
      "rescheduled\n"
      "Arnoldia\n"
      "duplicates\n"
      "abc\n"
      "tele-health\n"
      "nephrolithiasis\n"
      "excludedword\n";
  const auto words = FilterMedicalWords(med, english, {"excludedword"}, 7);
  EXPECT_THAT(words, ElementsAre("cholecystitis", "nephrolithiasis"));
}

TEST(SystemDictionaryTest, MissingFilesAreNotFound) {
  auto words = LoadMedicalWords("/nonexistent/med.dic", "/nonexistent/en_US.dic", {}, 7);
  ASSERT_FALSE(words.ok());
  EXPECT_EQ(words.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace recall::scanner::internal
