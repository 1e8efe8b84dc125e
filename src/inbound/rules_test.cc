#include "inbound/rules.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "inbound/classifier.h"

namespace recall::inbound::internal {
namespace {

std::vector<std::string_view> Split(std::string_view s, std::string_view seps) {
  std::vector<std::string_view> out;
  size_t begin = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      if (i > begin) out.push_back(s.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  return out;
}

// A word the tokenizer can produce: [a-z0-9]+.
bool IsTokenForm(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

void ExpectTokenForm(std::string_view id, std::string_view alternatives) {
  for (std::string_view word : Split(alternatives, "|")) {
    EXPECT_TRUE(IsTokenForm(word)) << id << ": \"" << word << "\"";
  }
}

// "do not" never reaches a rule: the tokenizer turns it into "dont".
void ExpectNoSpelledNegation(std::string_view id, const std::vector<std::string_view>& words) {
  static const std::set<std::string_view> kJoined = {"do",  "does", "did", "can",    "could", "will", "would",
                                                     "should", "is", "are", "was", "has",   "have"};
  for (size_t i = 1; i < words.size(); ++i) {
    EXPECT_FALSE(words[i] == "not" && kJoined.count(words[i - 1]) > 0) << id << ": " << words[i - 1] << " not";
  }
}

TEST(RulesTest, KeywordsAreWrittenInTokenForm) {
  std::set<std::string_view> ids;
  for (const KeywordRule& rule : KeywordRules()) {
    if (rule.kind != KeywordKind::kFiller) {
      EXPECT_TRUE(ids.insert(rule.id).second) << "duplicate id " << rule.id;
    }
    for (std::string_view spelling : Split(rule.spellings, ",")) {
      const auto words = Split(spelling, " ");
      ASSERT_FALSE(words.empty()) << rule.id;
      for (std::string_view word : words) ExpectTokenForm(rule.id, word);
      ExpectNoSpelledNegation(rule.id, words);
    }
  }
}

TEST(RulesTest, PhrasesAreWellFormed) {
  std::set<std::string_view> ids;
  for (const PhraseRule& rule : PhraseRules()) {
    EXPECT_TRUE(ids.insert(rule.id).second) << "duplicate id " << rule.id;
    for (std::string_view pattern : Split(rule.patterns, ";")) {
      const auto slots = Split(pattern, " ");
      ASSERT_FALSE(slots.empty()) << rule.id;
      // The first slot is what the pattern is indexed by: required, real words.
      EXPECT_NE(slots.front().front(), '!') << rule.id;
      EXPECT_NE(slots.front().back(), '?') << rule.id;
      EXPECT_EQ(slots.front().find('$'), std::string_view::npos) << rule.id;
      std::vector<std::string_view> first_words;
      for (std::string_view slot : slots) {
        if (slot.front() == '!') slot.remove_prefix(1);
        if (slot.back() == '?') slot.remove_suffix(1);
        for (std::string_view word : Split(slot, "|")) {
          if (word != "$") ExpectTokenForm(rule.id, word);
        }
        first_words.push_back(Split(slot, "|").front());
      }
      ExpectNoSpelledNegation(rule.id, first_words);
    }
  }
  for (const NearRule& rule : NearRules()) {
    EXPECT_TRUE(ids.insert(rule.id).second) << "duplicate id " << rule.id;
    ExpectTokenForm(rule.id, rule.first);
    ExpectTokenForm(rule.id, rule.second);
    EXPECT_GT(rule.window, 0);
  }
  ExpectTokenForm("clause starters", ClauseStarters());
  ExpectTokenForm("negators", Negators(RuleLanguage::kEnglish));
  ExpectTokenForm("negators", Negators(RuleLanguage::kSpanish));
}

TEST(RulesTest, IdsNameTheirIntent) {
  // The id's first part is the intent a reader expects it to produce.
  for (const KeywordRule& rule : KeywordRules()) {
    const std::string_view prefix = rule.id.substr(0, rule.id.find('.'));
    switch (rule.kind) {
      case KeywordKind::kOptOut: EXPECT_EQ(prefix, "opt_out") << rule.id; break;
      case KeywordKind::kOptIn: EXPECT_EQ(prefix, "opt_in") << rule.id; break;
      case KeywordKind::kHelp: EXPECT_EQ(prefix, "help") << rule.id; break;
      case KeywordKind::kConfirm: EXPECT_EQ(prefix, "confirm") << rule.id; break;
      case KeywordKind::kYes: EXPECT_EQ(prefix, "yes") << rule.id; break;
      case KeywordKind::kConsentYes: EXPECT_EQ(prefix, "consent_yes") << rule.id; break;
      case KeywordKind::kFiller: EXPECT_EQ(prefix, "filler") << rule.id; break;
    }
  }
  for (const PhraseRule& rule : PhraseRules()) {
    const std::string_view prefix = rule.id.substr(0, rule.id.find('.'));
    const std::string_view want = rule.kind == PhraseKind::kUrgent     ? "urgent"
                                  : rule.kind == PhraseKind::kClinical ? "clinical"
                                                                       : "opt_out";
    EXPECT_EQ(prefix, want) << rule.id;
  }
  for (const NearRule& rule : NearRules()) EXPECT_EQ(rule.id.substr(0, 7), "urgent.") << rule.id;
}

}  // namespace
}  // namespace recall::inbound::internal
