#include "inbound/classifier.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/text.h"
#include "inbound/rules.h"

namespace recall::inbound {
namespace {

using internal::KeywordKind;
using internal::KeywordRule;
using internal::PhraseKind;
using internal::RuleLanguage;

// A keyword message is short; longer token runs are never parsed as keywords.
constexpr size_t kMaxKeywordTokens = 16;

// ---------------------------------------------------------------------------
// Tokens. The folded text is cut into words of letters and digits. Accents are
// stripped, apostrophes dropped ("don't" -> "dont"), combining marks ignored,
// and runs of one repeated ASCII letter squeezed ("stooop" -> "stop"; the rule
// vocabulary is squeezed the same way, so "off" and "of" meet as "of" on both
// sides). Clause punctuation and emoji start a new segment.

bool IsAsciiLetter(char c) { return c >= 'a' && c <= 'z'; }

void AppendSqueezed(std::string& out, size_t token_begin, char c) {
  if (IsAsciiLetter(c) && out.size() > token_begin && out.back() == c) return;
  out.push_back(c);
}

std::string Squeeze(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (char c : word) AppendSqueezed(out, 0, c);
  return out;
}

// Latin-1 lower-case letters after case folding, without their accents.
char StripAccent(UChar32 cp) {
  static constexpr std::string_view kMap("aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0y", 32);  // U+00E0..U+00FF
  static_assert(kMap[0x07] == 'c' && kMap[0x11] == 'n' && kMap[0x1F] == 'y');
  if (cp < 0xE0 || cp > 0xFF) return '\0';
  return kMap[static_cast<size_t>(cp - 0xE0)];
}

bool IsApostrophe(UChar32 cp) { return cp == '\'' || cp == '`' || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC; }

bool IsClauseBreak(UChar32 cp) {
  switch (cp) {
    case '.': case '!': case '?': case ',': case ';': case ':': case '\n': case '\r':
    case 0x2026: case 0x2013: case 0x2014: case 0x2015:
      return true;
    default:
      break;
  }
  if (cp < 0x80) return false;
  const int8_t type = u_charType(cp);
  return type == U_OTHER_PUNCTUATION || type == U_OTHER_SYMBOL;
}

struct Token {
  uint32_t begin;
  uint32_t size;
  uint32_t segment;
};

class Tokens {
 public:
  explicit Tokens(std::string_view folded) {
    bytes_.reserve(folded.size() + 8);
    const auto* p = reinterpret_cast<const uint8_t*>(folded.data());
    const int32_t n = static_cast<int32_t>(folded.size());
    int32_t i = 0;
    while (i < n) {
      UChar32 cp;
      U8_NEXT(p, i, n, cp);
      if (cp < 0) cp = 0xFFFD;
      if (cp < 0x80) {
        const char c = static_cast<char>(cp);
        if (IsAsciiLetter(c) || (c >= '0' && c <= '9')) {
          Append(c);
          continue;
        }
      } else if (const char plain = StripAccent(cp); plain != '\0') {
        Append(plain);
        continue;
      }
      if (IsApostrophe(cp)) continue;  // joins: "can't" -> "cant"
      if (cp >= 0x80) {
        const int8_t type = u_charType(cp);
        if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) continue;
        if (u_isalnum(cp)) {
          char buf[U8_MAX_LENGTH];
          int32_t len = 0;
          U8_APPEND_UNSAFE(buf, len, cp);
          for (int32_t k = 0; k < len; ++k) Append(buf[k]);
          continue;
        }
      }
      EndToken();
      if (IsClauseBreak(cp) && !list_.empty() && list_.back().segment == segment_) ++segment_;
    }
    EndToken();
  }

  size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  std::string_view word(size_t index) const {
    return std::string_view(bytes_).substr(list_[index].begin, list_[index].size);
  }
  uint32_t segment(size_t index) const { return list_[index].segment; }
  // True when `index` is past the last word or starts a new segment.
  bool AtSegmentEnd(size_t index) const {
    return index >= list_.size() || (index > 0 && list_[index].segment != list_[index - 1].segment);
  }

 private:
  void Append(char c) {
    if (!in_token_) {
      in_token_ = true;
      token_begin_ = bytes_.size();
    }
    AppendSqueezed(bytes_, token_begin_, c);
  }

  void EndToken() {
    if (!in_token_) return;
    in_token_ = false;
    std::string_view word = std::string_view(bytes_).substr(token_begin_);
    // Spelled-out negations become one word, so "do not text me" and "don't
    // text me" meet the same rules.
    if (word == "not" && !list_.empty() && list_.back().segment == segment_) {
      bytes_.resize(token_begin_);
      const std::string_view prev = std::string_view(bytes_).substr(list_.back().begin);
      if (prev == "wil") {
        bytes_.resize(list_.back().begin);
        bytes_ += "wont";
      } else if (prev == "do" || prev == "does" || prev == "did" || prev == "can" || prev == "could" ||
                 prev == "would" || prev == "should" || prev == "is" || prev == "are" || prev == "was" ||
                 prev == "has" || prev == "have") {
        AppendSqueezed(bytes_, list_.back().begin, 'n');
        bytes_.push_back('t');
      } else {
        bytes_ += "not";  // leave as two words
        list_.push_back(Token{static_cast<uint32_t>(token_begin_), 3, segment_});
        return;
      }
      list_.back().size = static_cast<uint32_t>(bytes_.size() - list_.back().begin);
      return;
    }
    if (word == "canot") {
      bytes_.resize(token_begin_);
      bytes_ += "cant";
    }
    list_.push_back(Token{static_cast<uint32_t>(token_begin_), static_cast<uint32_t>(bytes_.size() - token_begin_),
                          segment_});
  }

  std::string bytes_;
  std::vector<Token> list_;
  uint32_t segment_ = 0;
  bool in_token_ = false;
  size_t token_begin_ = 0;
};

// ---------------------------------------------------------------------------
// Compiled rules, built once on first use (thread-safe static initialisation)
// and immutable afterwards.

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using WordMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;
using WordSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t pos = s.find(sep);
    std::string_view part = TrimAscii(s.substr(0, pos));
    if (!part.empty()) out.push_back(part);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

WordSet MakeSet(std::string_view alternatives) {
  WordSet set;
  for (std::string_view w : Split(alternatives, '|')) set.insert(Squeeze(w));
  return set;
}

bool Contains(const WordSet& set, std::string_view word) { return set.find(word) != set.end(); }

struct Slot {
  WordSet words;
  bool optional = false;
  bool end_ok = false;    // '$' alternative
  bool negative = false;  // '!' lookahead
};

struct Pattern {
  std::vector<Slot> slots;
  uint32_t rule;  // index into PhraseRules()
};

struct Keyword {
  std::vector<std::string> words;
  const KeywordRule* rule;
};

struct NearSide {
  uint32_t rule;  // index into NearRules()
  bool first;     // the word is on the rule's `first` side
};

struct Compiled {
  std::vector<Pattern> patterns;
  WordMap<std::vector<uint32_t>> pattern_index;  // first-slot word -> patterns
  std::vector<Keyword> keywords;
  WordMap<std::vector<uint32_t>> keyword_index;  // first word -> keywords, longest first
  std::vector<std::pair<WordSet, WordSet>> near_sets;
  WordMap<std::vector<NearSide>> near_index;
  WordSet clause_starters;
  WordSet negators_en;
  WordSet negators_es;
  WordSet negation_bridges;  // "don't EVER stop", "don't YOU stop"
};

Compiled Compile() {
  Compiled c;
  const auto phrases = internal::PhraseRules();
  for (uint32_t rule = 0; rule < phrases.size(); ++rule) {
    for (std::string_view text : Split(phrases[rule].patterns, ';')) {
      Pattern pattern;
      pattern.rule = rule;
      for (std::string_view slot_text : Split(text, ' ')) {
        Slot slot;
        if (slot_text.front() == '!') {
          slot.negative = true;
          slot_text.remove_prefix(1);
        }
        if (slot_text.back() == '?') {
          slot.optional = true;
          slot_text.remove_suffix(1);
        }
        for (std::string_view w : Split(slot_text, '|')) {
          if (w == "$") {
            slot.end_ok = true;
          } else {
            slot.words.insert(Squeeze(w));
          }
        }
        pattern.slots.push_back(std::move(slot));
      }
      if (pattern.slots.empty()) continue;
      const auto index = static_cast<uint32_t>(c.patterns.size());
      for (const std::string& w : pattern.slots.front().words) c.pattern_index[w].push_back(index);
      c.patterns.push_back(std::move(pattern));
    }
  }
  for (const KeywordRule& rule : internal::KeywordRules()) {
    for (std::string_view spelling : Split(rule.spellings, ',')) {
      Keyword keyword{{}, &rule};
      for (std::string_view w : Split(spelling, ' ')) keyword.words.push_back(Squeeze(w));
      c.keywords.push_back(std::move(keyword));
    }
  }
  for (uint32_t k = 0; k < c.keywords.size(); ++k) c.keyword_index[c.keywords[k].words.front()].push_back(k);
  for (auto& [word, list] : c.keyword_index) {
    std::stable_sort(list.begin(), list.end(),
                     [&](uint32_t a, uint32_t b) { return c.keywords[a].words.size() > c.keywords[b].words.size(); });
  }
  const auto near = internal::NearRules();
  for (uint32_t rule = 0; rule < near.size(); ++rule) {
    c.near_sets.emplace_back(MakeSet(near[rule].first), MakeSet(near[rule].second));
    for (const std::string& w : c.near_sets.back().first) c.near_index[w].push_back({rule, true});
    for (const std::string& w : c.near_sets.back().second) c.near_index[w].push_back({rule, false});
  }
  c.clause_starters = MakeSet(internal::ClauseStarters());
  c.negators_en = MakeSet(internal::Negators(RuleLanguage::kEnglish));
  c.negators_es = MakeSet(internal::Negators(RuleLanguage::kSpanish));
  c.negation_bridges = MakeSet("ever|evr|you|u|please|pls|plz|even");
  return c;
}

const Compiled& Rules() {
  static const Compiled* compiled = new Compiled(Compile());  // never destroyed: safe at exit
  return *compiled;
}

// ---------------------------------------------------------------------------
// Matching.

bool MatchSlots(const Pattern& pattern, size_t slot_index, size_t pos, const Tokens& tokens, uint32_t segment,
                bool cross_segments) {
  if (slot_index == pattern.slots.size()) return true;
  const Slot& slot = pattern.slots[slot_index];
  const bool at_end = tokens.AtSegmentEnd(pos);
  if (slot.negative) {
    if (!at_end && Contains(slot.words, tokens.word(pos))) return false;
    return MatchSlots(pattern, slot_index + 1, pos, tokens, segment, cross_segments);
  }
  if (slot.end_ok && at_end && MatchSlots(pattern, slot_index + 1, pos, tokens, segment, cross_segments)) return true;
  if (pos < tokens.size() && (cross_segments || tokens.segment(pos) == segment) &&
      Contains(slot.words, tokens.word(pos)) &&
      MatchSlots(pattern, slot_index + 1, pos + 1, tokens, segment, cross_segments)) {
    return true;
  }
  return slot.optional && MatchSlots(pattern, slot_index + 1, pos, tokens, segment, cross_segments);
}

// An opt-out phrase right after a negation is the opposite of an opt-out:
// "don't stop the reminders", "no dejen de enviar".
bool Negated(const Compiled& rules, const Tokens& tokens, size_t pos, RuleLanguage language) {
  const WordSet& negators = language == RuleLanguage::kSpanish ? rules.negators_es : rules.negators_en;
  const uint32_t segment = tokens.segment(pos);
  if (pos >= 1 && tokens.segment(pos - 1) == segment && Contains(negators, tokens.word(pos - 1))) return true;
  return pos >= 2 && tokens.segment(pos - 2) == segment && Contains(rules.negation_bridges, tokens.word(pos - 1)) &&
         Contains(negators, tokens.word(pos - 2));
}

// Parses words [begin, end) as a sequence of keywords and fillers, longest
// match first. Runs of two or more single letters are joined ("S T O P").
// Returns false unless every word is consumed.
bool ParseKeywords(const Compiled& rules, const Tokens& tokens, size_t begin, size_t end,
                   std::vector<const KeywordRule*>& hits) {
  hits.clear();
  if (end - begin > kMaxKeywordTokens || begin >= end) return false;
  std::array<std::string, kMaxKeywordTokens> joined;
  std::array<std::string_view, kMaxKeywordTokens> words;
  size_t count = 0;
  for (size_t pos = begin; pos < end;) {
    size_t run = pos;
    while (run < end && tokens.word(run).size() == 1 && IsAsciiLetter(tokens.word(run)[0])) ++run;
    if (run - pos >= 2) {
      std::string& w = joined[count];
      for (size_t k = pos; k < run; ++k) AppendSqueezed(w, 0, tokens.word(k)[0]);
      words[count++] = w;
      pos = run;
    } else {
      words[count++] = tokens.word(pos++);
    }
  }
  bool any_keyword = false;
  for (size_t pos = 0; pos < count;) {
    const auto it = rules.keyword_index.find(words[pos]);
    if (it == rules.keyword_index.end()) return false;
    const Keyword* found = nullptr;
    for (uint32_t k : it->second) {
      const Keyword& keyword = rules.keywords[k];
      if (pos + keyword.words.size() > count) continue;
      if (std::equal(keyword.words.begin(), keyword.words.end(), words.begin() + static_cast<ptrdiff_t>(pos))) {
        found = &keyword;
        break;
      }
    }
    if (found == nullptr) return false;
    if (found->rule->kind != KeywordKind::kFiller) {
      any_keyword = true;
      hits.push_back(found->rule);
    }
    pos += found->words.size();
  }
  return any_keyword;
}

// Word count of the keyword `keyword` when it occurs at `pos` within one
// segment, else 0.
size_t KeywordLengthAt(const Keyword& keyword, const Tokens& tokens, size_t pos) {
  const size_t n = keyword.words.size();
  if (pos + n > tokens.size()) return 0;
  for (size_t w = 0; w < n; ++w) {
    if (tokens.segment(pos + w) != tokens.segment(pos) || tokens.word(pos + w) != keyword.words[w]) return 0;
  }
  return n;
}

// Word count of the longest filler at `pos`, or 0.
size_t FillerLengthAt(const Compiled& rules, const Tokens& tokens, size_t pos) {
  const auto it = rules.keyword_index.find(tokens.word(pos));
  if (it == rules.keyword_index.end()) return 0;
  for (uint32_t k : it->second) {
    const Keyword& keyword = rules.keywords[k];
    if (keyword.rule->kind != KeywordKind::kFiller) continue;
    if (const size_t n = KeywordLengthAt(keyword, tokens, pos); n > 0) return n;
  }
  return 0;
}

// A strong opt-out keyword leading segment [begin, end) and followed, after
// any fillers, by a word that starts a new clause: "STOP I have chest pain",
// "stop this is spam". Every spelling is tried, so "stop this is..." is read as
// "stop" + "this is...", not as the keyword "stop this" + "is".
const KeywordRule* LeadingOptOut(const Compiled& rules, const Tokens& tokens, size_t begin, size_t end) {
  const auto it = rules.keyword_index.find(tokens.word(begin));
  if (it == rules.keyword_index.end()) return nullptr;
  for (uint32_t k : it->second) {
    const Keyword& keyword = rules.keywords[k];
    if (keyword.rule->kind != KeywordKind::kOptOut || !keyword.rule->strong) continue;
    const size_t length = KeywordLengthAt(keyword, tokens, begin);
    if (length == 0) continue;
    size_t next = begin + length;
    while (next < end) {
      const size_t filler = FillerLengthAt(rules, tokens, next);
      if (filler == 0) break;
      next += filler;
    }
    if (next < end && Contains(rules.clause_starters, tokens.word(next))) return keyword.rule;
  }
  return nullptr;
}

class Recorder {
 public:
  explicit Recorder(Classification& out) : out_(out) {}
  void Add(std::string_view id, RuleLanguage language) {
    if (std::find(out_.matched_rules.begin(), out_.matched_rules.end(), id) != out_.matched_rules.end()) return;
    out_.matched_rules.push_back(id);
    if (language == RuleLanguage::kEnglish) ++english_;
    if (language == RuleLanguage::kSpanish) ++spanish_;
  }
  Language language() const { return spanish_ > 0 && english_ == 0 ? Language::kSpanish : Language::kEnglish; }

 private:
  Classification& out_;
  int english_ = 0;
  int spanish_ = 0;
};

Classification ClassifyImpl(std::string_view body, const ClassifyContext& context) {
  Classification out;
  Recorder record(out);
  std::string_view text = body;
  if (text.size() > kMaxClassifiedBytes) {
    size_t cut = kMaxClassifiedBytes;
    // Back up to the lead byte of a code point cut in half (at most 3 bytes).
    for (int step = 0; step < 3 && cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80; ++step) --cut;
    text = text.substr(0, cut);
    out.truncated = true;
    record.Add("input.truncated", RuleLanguage::kAny);
  }
  if (!IsValidUtf8(text)) {
    record.Add("input.invalid_utf8", RuleLanguage::kAny);
    return out;
  }
  const Tokens tokens(FoldForMatching(text).text);
  if (tokens.empty()) {
    record.Add("input.no_words", RuleLanguage::kAny);
    return out;
  }
  const Compiled& rules = Rules();
  bool opt_out = false, opt_in = false, help = false, confirm = false, urgent = false, clinical = false;

  // 1. The whole message is keywords and fillers: "STOP", "Yes please", "C".
  std::vector<const KeywordRule*> hits;
  if (ParseKeywords(rules, tokens, 0, tokens.size(), hits)) {
    for (const KeywordRule* rule : hits) {
      record.Add(rule->id, rule->language);
      switch (rule->kind) {
        case KeywordKind::kOptOut: opt_out = true; break;
        case KeywordKind::kOptIn: opt_in = true; break;
        case KeywordKind::kHelp: help = true; break;
        case KeywordKind::kConfirm: confirm = true; break;
        case KeywordKind::kYes:
          if (context.consent_request_pending) {
            opt_in = true;
          } else if (context.confirmation_pending) {
            confirm = true;
          }
          break;
        case KeywordKind::kConsentYes:
          if (context.consent_request_pending) opt_in = true;
          break;
        case KeywordKind::kFiller: break;
      }
    }
  }

  // 2. A clause that is a strong opt-out keyword ("Wrong number. STOP"), or a
  //    clause led by one and followed by a new clause ("STOP I have chest pain").
  for (size_t seg_begin = 0; seg_begin < tokens.size();) {
    size_t seg_end = seg_begin + 1;
    while (seg_end < tokens.size() && tokens.segment(seg_end) == tokens.segment(seg_begin)) ++seg_end;
    if (ParseKeywords(rules, tokens, seg_begin, seg_end, hits)) {
      for (const KeywordRule* rule : hits) {
        if (rule->kind == KeywordKind::kOptOut && rule->strong) {
          opt_out = true;
          record.Add(rule->id, rule->language);
        }
      }
    }
    if (const KeywordRule* rule = LeadingOptOut(rules, tokens, seg_begin, seg_end)) {
      opt_out = true;
      record.Add(rule->id, rule->language);
      record.Add("opt_out.leading_keyword", RuleLanguage::kAny);
    }
    seg_begin = seg_end;
  }

  // 3. Phrases anywhere: reasonable-person opt-outs and urgent symptoms.
  const auto phrase_rules = internal::PhraseRules();
  const auto near_rules = internal::NearRules();
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const std::string_view word = tokens.word(pos);
    if (const auto it = rules.pattern_index.find(word); it != rules.pattern_index.end()) {
      for (uint32_t index : it->second) {
        const Pattern& pattern = rules.patterns[index];
        const internal::PhraseRule& rule = phrase_rules[pattern.rule];
        const bool is_opt_out = rule.kind == PhraseKind::kOptOut;
        if (!MatchSlots(pattern, 1, pos + 1, tokens, tokens.segment(pos), !is_opt_out)) continue;
        if (is_opt_out && Negated(rules, tokens, pos, rule.language)) continue;
        (rule.kind == PhraseKind::kUrgent ? urgent : rule.kind == PhraseKind::kClinical ? clinical : opt_out) = true;
        // A clinical word only orders the queue: it does not choose the reply language.
        record.Add(rule.id, rule.kind == PhraseKind::kClinical ? RuleLanguage::kAny : rule.language);
      }
    }
    if (const auto it = rules.near_index.find(word); it != rules.near_index.end()) {
      for (const NearSide& side : it->second) {
        const auto& rule = near_rules[side.rule];
        const WordSet& other = side.first ? rules.near_sets[side.rule].second : rules.near_sets[side.rule].first;
        const size_t window = static_cast<size_t>(rule.window);
        // Looking forward only finds each pair once, from its earlier word.
        for (size_t k = pos + 1; k < tokens.size() && k <= pos + window; ++k) {
          if (Contains(other, tokens.word(k))) {
            urgent = true;
            record.Add(rule.id, rule.language);
            break;
          }
        }
      }
    }
  }

  out.opt_out = opt_out;
  out.urgent = urgent;
  out.clinical = clinical && !urgent;
  if (urgent) {
    out.intent = Intent::kUrgent;
  } else if (opt_out) {
    out.intent = Intent::kOptOut;
  } else if (opt_in) {
    out.intent = Intent::kOptIn;
  } else if (help) {
    out.intent = Intent::kHelp;
  } else if (confirm) {
    out.intent = Intent::kConfirm;
  }
  out.language = record.language();
  return out;
}

}  // namespace

std::string_view IntentName(Intent intent) {
  switch (intent) {
    case Intent::kOptOut: return "opt_out";
    case Intent::kOptIn: return "opt_in";
    case Intent::kHelp: return "help";
    case Intent::kConfirm: return "confirm";
    case Intent::kUrgent: return "urgent";
    case Intent::kOther: return "other";
  }
  return "other";
}

Classification Classify(std::string_view body, const ClassifyContext& context) noexcept {
  try {
    return ClassifyImpl(body, context);
  } catch (...) {
    // Only allocation can throw here. Without memory there is no verdict to
    // give; the message goes to the inbox, where a human reads it.
    return Classification{};
  }
}

}  // namespace recall::inbound
