#include "scanner/internal/context_rules.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <array>

#include "scanner/internal/match_view.h"

namespace recall::scanner::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }

// If view[pos..] starts with `word` as a whole word, returns its end.
size_t WordAt(std::string_view view, size_t pos, std::string_view word) {
  if (view.substr(pos, word.size()) != word) return std::string_view::npos;
  const size_t end = pos + word.size();
  if (IsWordAt(view, end)) return std::string_view::npos;
  return end;
}

// Words that may stand between a test name and its value: "A1C level of",
// "cholesterol was", "results came back at".
constexpr std::array<std::string_view, 24> kFillers = {"levels", "level",    "results", "result", "readings", "reading",
                                                       "scores", "score",    "count",   "values", "value",    "of",
                                                       "is",     "was",      "are",     "were",   "came",     "back",
                                                       "now",    "measured", "at",      "test",   "reads",    "showed"};

// Words that state a qualitative result after a linking verb.
constexpr std::array<std::string_view, 13> kQualities = {"high",     "low",        "elevated", "abnormal", "positive",
                                                         "negative", "borderline", "critical", "normal",   "too high",
                                                         "too low",  "very high",  "reactive"};

constexpr std::array<std::string_view, 18> kUnits = {" mg/dl", "mg/dl",  " mmol/l",  "mmol/l",  " mmhg",  "mmhg",
                                                     " bpm",   " ng/ml", " percent", " lbs",    "lbs",    " lb",
                                                     "lb",     " kg",    "kg",       " pounds", " units", " u/l"};

// Words that may follow a value when the test name alone is ambiguous ("BP",
// "PSA", "sodium"): "PSA: 3 games" is not a result, "PSA 3 is normal" is.
constexpr std::array<std::string_view, 31> kValueFollowers = {
    "is",     "was",  "are",   "were",   "which", "and",  "at",    "on",        "in",  "for",  "today",
    "this",   "last", "units", "points", "per",   "over", "with",  "but",       "so",  "that", "it",
    "please", "call", "we",    "you",    "your",  "from", "since", "yesterday", "down"};

// True when the text after a value (at pos) lets it stand as a lab value for an
// ambiguous test name: nothing, punctuation, or a word from kValueFollowers.
bool FollowerAllowed(std::string_view view, size_t pos) {
  size_t p = pos;
  if (p < view.size() && view[p] == ' ') ++p;
  if (p >= view.size() || !IsWordAt(view, p)) return true;
  for (std::string_view word : kValueFollowers) {
    if (WordAt(view, p, word) != std::string_view::npos) return true;
  }
  return false;
}

// Parses a number at pos; returns its end or npos if it is not a lab value.
size_t NumberEnd(std::string_view view, size_t pos) {
  size_t i = pos;
  if (i >= view.size() || !IsDigit(view[i])) return std::string_view::npos;
  if (IsWordBefore(view, pos)) return std::string_view::npos;
  size_t int_digits = 0;
  while (i < view.size() && IsDigit(view[i])) {
    ++i;
    ++int_digits;
  }
  // Thousands separator ("250,000 platelets").
  while (i + 3 < view.size() && view[i] == ',' && IsDigit(view[i + 1]) && IsDigit(view[i + 2]) &&
         IsDigit(view[i + 3]) && (i + 4 >= view.size() || !IsDigit(view[i + 4]))) {
    i += 4;
  }
  if (int_digits > 3) return std::string_view::npos;  // zip codes, phone numbers, years are not values
  if (i < view.size() && view[i] == ':' && i + 1 < view.size() && IsDigit(view[i + 1])) {
    return std::string_view::npos;  // a time: "at 3:30"
  }
  if (i + 1 < view.size() && view[i] == '.' && IsDigit(view[i + 1])) {
    ++i;
    while (i < view.size() && IsDigit(view[i])) ++i;
  }
  // "150/95"
  if (i + 1 < view.size() && view[i] == '/' && IsDigit(view[i + 1])) {
    ++i;
    while (i < view.size() && IsDigit(view[i])) ++i;
  }
  // "3 pm", "3pm", "3 p.m." (squeezed to "pm.")
  size_t j = i;
  if (j < view.size() && view[j] == ' ') ++j;
  if (WordAt(view, j, "am") != std::string_view::npos || WordAt(view, j, "pm") != std::string_view::npos) {
    return std::string_view::npos;
  }
  if (i < view.size() && view[i] == '%') return i + 1;
  if (i + 1 < view.size() && view[i] == ' ' && view[i + 1] == '%') return i + 2;
  for (std::string_view unit : kUnits) {
    const size_t e = WordAt(view, i, unit);
    if (e != std::string_view::npos) return e;
  }
  // A letter glued to the number ("9.2x") makes it something else.
  if (IsWordAt(view, i)) return std::string_view::npos;
  return i;
}

}  // namespace

size_t LabValueEnd(std::string_view view, size_t pos, bool ambiguous_name) {
  size_t p = pos;
  bool linked = false;  // a linking verb was seen: qualities count
  for (int step = 0; step < 5; ++step) {
    if (p < view.size() && view[p] == ' ') ++p;
    if (p >= view.size()) return std::string_view::npos;
    const size_t number = NumberEnd(view, p);
    if (number != std::string_view::npos) {
      if (ambiguous_name && !FollowerAllowed(view, number)) return std::string_view::npos;
      return number;
    }
    if (linked) {
      for (std::string_view quality : kQualities) {
        const size_t e = WordAt(view, p, quality);
        if (e != std::string_view::npos) return e;
      }
    }
    if (view[p] == ':' || view[p] == '=' || view[p] == '-') {
      ++p;
      continue;
    }
    size_t next = std::string_view::npos;
    for (std::string_view filler : kFillers) {
      next = WordAt(view, p, filler);
      if (next != std::string_view::npos) {
        if (filler == "is" || filler == "was" || filler == "are" || filler == "were" || filler == "back" ||
            filler == "reads" || filler == "showed" || filler == "now") {
          linked = true;
        }
        break;
      }
    }
    if (next == std::string_view::npos) return std::string_view::npos;
    p = next;
  }
  return std::string_view::npos;
}

bool IsCapitalisedWord(std::string_view span) {
  if (span.empty()) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(span.data());
  const int32_t n = static_cast<int32_t>(span.size());
  int32_t i = 0;
  UChar32 first;
  U8_NEXT(p, i, n, first);
  if (first < 0 || !u_isupper(first)) return false;
  while (i < n) {
    UChar32 cp;
    U8_NEXT(p, i, n, cp);
    if (cp >= 0 && u_islower(cp)) return true;
  }
  return false;
}

size_t CountUppercase(std::string_view span) {
  size_t count = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(span.data());
  const int32_t n = static_cast<int32_t>(span.size());
  int32_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      if (IsAsciiUpper(static_cast<char>(p[i]))) ++count;
      ++i;
      continue;
    }
    UChar32 cp;
    U8_NEXT(p, i, n, cp);
    if (cp >= 0 && u_isupper(cp)) ++count;
  }
  return count;
}

namespace {

bool IsNameByte(uint8_t c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '\'';
}

}  // namespace

bool IsSurnameAfterTitle(std::string_view source, size_t start, size_t end,
                         const std::unordered_set<std::string>& titles) {
  if (start >= end || end > source.size()) return false;
  if (!IsCapitalisedWord(source.substr(start, end - start))) return false;
  size_t pos = start;
  for (int hop = 0; hop < 3; ++hop) {
    // One or more spaces (or non-breaking spaces) before the word.
    size_t p = pos;
    size_t spaces = 0;
    while (p > 0) {
      if (source[p - 1] == ' ') {
        --p;
        ++spaces;
      } else if (p >= 2 && static_cast<uint8_t>(source[p - 2]) == 0xC2 && static_cast<uint8_t>(source[p - 1]) == 0xA0) {
        p -= 2;
        ++spaces;
      } else {
        break;
      }
    }
    if (spaces == 0 || spaces > 2) return false;
    size_t b = p;
    while (b > 0 && IsNameByte(static_cast<uint8_t>(source[b - 1]))) --b;
    if (b == p) return false;
    std::string_view token = source.substr(b, p - b);
    while (!token.empty() && token.back() == '.') token.remove_suffix(1);
    std::string lower(token);
    for (char& c : lower) {
      if (IsAsciiUpper(c)) c = static_cast<char>(c + 32);
    }
    if (titles.contains(lower)) return true;
    // Otherwise it must be a capitalised name or an initial to keep walking.
    const bool initial = token.size() == 1 && IsAsciiUpper(token[0]);
    if (!initial && !IsCapitalisedWord(token)) return false;
    pos = b;
  }
  return false;
}

bool CodeIsStandalone(std::string_view view, size_t start, size_t end) {
  if (start > 0) {
    const char c = view[start - 1];
    if (c == '.' || c == '/' || c == '-' || c == '@' || c == '_') return false;
  }
  if (end + 1 < view.size()) {
    const char c = view[end];
    if ((c == '.' || c == '/' || c == '-' || c == '@' || c == '_') && IsWordAt(view, end + 1)) return false;
  }
  return true;
}

}  // namespace recall::scanner::internal
