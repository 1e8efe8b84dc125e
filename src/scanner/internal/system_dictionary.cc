#include "scanner/internal/system_dictionary.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <map>
#include <utility>

#include "common/text.h"
#include "scanner/internal/vocabulary.h"

namespace recall::scanner::internal {
namespace {

// One element of an affix condition: a set of allowed bytes.
using CharSet = std::bitset<256>;

std::vector<CharSet> ParseCondition(std::string_view cond) {
  std::vector<CharSet> out;
  size_t i = 0;
  while (i < cond.size()) {
    CharSet set;
    if (cond[i] == '.') {
      set.set();
      ++i;
    } else if (cond[i] == '[') {
      size_t j = i + 1;
      bool negate = false;
      if (j < cond.size() && cond[j] == '^') {
        negate = true;
        ++j;
      }
      while (j < cond.size() && cond[j] != ']') set.set(static_cast<uint8_t>(cond[j++]));
      if (negate) set.flip();
      i = j + 1;
    } else {
      set.set(static_cast<uint8_t>(cond[i++]));
    }
    out.push_back(set);
  }
  return out;
}

struct AffixRule {
  bool prefix = false;
  bool cross = false;
  std::string strip;
  std::string add;
  std::vector<CharSet> condition;
};

bool ConditionHolds(const AffixRule& rule, std::string_view word) {
  const size_t n = rule.condition.size();
  if (word.size() < n) return false;
  for (size_t k = 0; k < n; ++k) {
    const char c = rule.prefix ? word[k] : word[word.size() - n + k];
    if (!rule.condition[k].test(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

bool Apply(const AffixRule& rule, std::string_view word, std::string* out) {
  if (!ConditionHolds(rule, word)) return false;
  if (rule.prefix) {
    if (word.substr(0, rule.strip.size()) != rule.strip) return false;
    *out = rule.add + std::string(word.substr(rule.strip.size()));
  } else {
    if (word.size() < rule.strip.size() || word.substr(word.size() - rule.strip.size()) != rule.strip) return false;
    *out = std::string(word.substr(0, word.size() - rule.strip.size())) + rule.add;
  }
  return true;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) fields.push_back(line.substr(b, i - b));
  }
  return fields;
}

template <typename Fn>
void ForEachRawLine(std::string_view text, Fn fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line);
    pos = eol + 1;
  }
}

// "word/FLAGS" -> word, flags. Skips the count line and indented header lines.
bool SplitDicLine(std::string_view line, std::string_view* word, std::string_view* flags) {
  if (line.empty() || line[0] == ' ' || line[0] == '\t') return false;
  const size_t slash = line.find('/');
  *word = line.substr(0, slash);
  *flags = slash == std::string_view::npos ? std::string_view() : line.substr(slash + 1);
  // Morphological fields after white space are ignored.
  const size_t space = flags->find_first_of(" \t");
  if (space != std::string_view::npos) *flags = flags->substr(0, space);
  return !word->empty();
}

void AddLower(std::unordered_set<std::string>* forms, std::string word) {
  for (char& c : word) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  forms->insert(std::move(word));
}

}  // namespace

std::unordered_set<std::string> ExpandHunspellForms(std::string_view aff, std::string_view dic) {
  std::map<char, std::vector<AffixRule>> rules;
  std::map<char, bool> cross;
  ForEachRawLine(aff, [&](std::string_view line) {
    const auto f = SplitFields(line);
    if (f.size() < 4 || (f[0] != "PFX" && f[0] != "SFX") || f[1].size() != 1) return;
    const char flag = f[1][0];
    if (f.size() == 4 && (f[2] == "Y" || f[2] == "N")) {  // header: PFX A Y 1
      cross[flag] = f[2] == "Y";
      return;
    }
    if (f.size() < 5) return;
    AffixRule rule;
    rule.prefix = f[0] == "PFX";
    rule.cross = cross[flag];
    rule.strip = f[2] == "0" ? "" : std::string(f[2]);
    std::string_view add = f[3];
    add = add.substr(0, add.find('/'));
    rule.add = add == "0" ? "" : std::string(add);
    rule.condition = ParseCondition(f[4]);
    rules[flag].push_back(std::move(rule));
  });

  std::unordered_set<std::string> forms;
  forms.reserve(200000);
  std::string tmp;
  std::string tmp2;
  ForEachRawLine(dic, [&](std::string_view line) {
    std::string_view word;
    std::string_view flags;
    if (!SplitDicLine(line, &word, &flags)) return;
    AddLower(&forms, std::string(word));
    std::vector<const AffixRule*> prefixes;
    std::vector<std::string> suffixed;
    for (char flag : flags) {
      auto it = rules.find(flag);
      if (it == rules.end()) continue;
      for (const AffixRule& rule : it->second) {
        if (rule.prefix) {
          if (Apply(rule, word, &tmp)) AddLower(&forms, tmp);
          if (rule.cross) prefixes.push_back(&rule);
        } else if (Apply(rule, word, &tmp)) {
          AddLower(&forms, tmp);
          if (rule.cross) suffixed.push_back(tmp);
        }
      }
    }
    for (const AffixRule* prefix : prefixes) {
      for (const std::string& s : suffixed) {
        if (Apply(*prefix, s, &tmp2)) AddLower(&forms, tmp2);
      }
    }
  });
  return forms;
}

namespace {

// British spelling -> American, for words en_US only knows the American way.
constexpr std::pair<std::string_view, std::string_view> kBritishSpellings[] = {
    {"our", "or"}, {"isation", "ization"}, {"ise", "ize"}, {"yse", "yze"}, {"tre", "ter"}, {"ogue", "og"}, {"ll", "l"},
};

}  // namespace

std::vector<std::string> FilterMedicalWords(std::string_view medical_dic,
                                            const std::unordered_set<std::string>& english_forms,
                                            const std::unordered_set<std::string>& exclude, size_t min_length) {
  static constexpr std::array<std::string_view, 7> kSuffixes = {"s", "es", "ed", "ing", "ly", "al", "ic"};
  std::vector<std::string> out;
  ForEachRawLine(medical_dic, [&](std::string_view line) {
    std::string_view word;
    std::string_view flags;
    if (!SplitDicLine(line, &word, &flags)) return;
    if (word.size() < min_length || word[0] < 'a' || word[0] > 'z') return;
    for (char c : word) {
      if (c < 'a' || c > 'z') return;
    }
    std::string w(word);
    if (english_forms.contains(w) || exclude.contains(w)) return;
    // Truncated stems ("manipulat", "travers") of English words.
    if (english_forms.contains(w + "e")) return;
    // British spellings of English words: en_US is the only English
    // dictionary we can count on.
    for (const auto& [british, american] : kBritishSpellings) {
      const size_t at = w.find(british);
      if (at == std::string::npos) continue;
      std::string us = w;
      us.replace(at, british.size(), american);
      if (english_forms.contains(us)) return;
    }
    for (std::string_view suffix : kSuffixes) {
      if (w.size() > suffix.size() + 2 && std::string_view(w).ends_with(suffix) &&
          english_forms.contains(w.substr(0, w.size() - suffix.size()))) {
        return;
      }
    }
    out.push_back(std::move(w));
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StatusOr<std::vector<std::string>> LoadMedicalWords(const std::string& medical_dic, const std::string& english_dic,
                                                    const std::unordered_set<std::string>& exclude, size_t min_length) {
  std::string aff_path = english_dic;
  if (aff_path.size() > 4 && aff_path.ends_with(".dic")) aff_path.replace(aff_path.size() - 4, 4, ".aff");
  ASSIGN_OR_RETURN(std::string med, ReadWholeFile(medical_dic));
  ASSIGN_OR_RETURN(std::string dic, ReadWholeFile(english_dic));
  ASSIGN_OR_RETURN(std::string aff, ReadWholeFile(aff_path));
  const std::unordered_set<std::string> english = ExpandHunspellForms(aff, dic);
  return FilterMedicalWords(med, english, exclude, min_length);
}

}  // namespace recall::scanner::internal
