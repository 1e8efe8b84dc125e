#include "scanner/internal/match_view.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <array>
#include <cstring>

#include "common/text.h"

namespace recall::scanner::internal {
namespace {

enum CharClass : uint8_t { kOther, kLetter, kDigit, kSpace, kSeparator, kApostrophe };

struct AsciiTables {
  std::array<uint8_t, 128> cls{};
  std::array<char, 128> lower{};
};

constexpr AsciiTables MakeAsciiTables() {
  AsciiTables t;
  for (int c = 0; c < 128; ++c) {
    t.lower[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    uint8_t k = kOther;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k = kLetter;
    if (c >= '0' && c <= '9') k = kDigit;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') k = kSpace;
    if (c == '.' || c == '-' || c == '_' || c == '*') k = kSeparator;
    if (c == '\'' || c == '`') k = kApostrophe;
    t.cls[c] = k;
  }
  return t;
}

constexpr AsciiTables kAscii = MakeAsciiTables();

bool IsAllAscii(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t acc = 0;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    acc |= word;
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    acc |= static_cast<uint8_t>(*p);
    ++p;
    --n;
  }
  return (acc & 0x8080808080808080ULL) == 0;
}

CharClass Classify(UChar32 cp) {
  if (cp >= 0 && cp < 128) return static_cast<CharClass>(kAscii.cls[cp]);
  switch (cp) {
    case 0x2018:  // ‘
    case 0x2019:  // ’
    case 0x02BC:  // ʼ
    case 0x2032:  // ′
      return kApostrophe;
    case 0x00B7:  // ·
    case 0x2022:  // •
    case 0x2010:  // ‐ (NFKC maps U+2011 here)
    case 0x2012:  // ‒
    case 0x2013:  // –
    case 0x2014:  // —
    case 0x2043:  // ⁃
    case 0x2027:  // ‧
    case 0x2219:  // ∙
    case 0x30FB:  // ・
    case 0x2E31:  // ⸱
      return kSeparator;
    default:
      break;
  }
  if (cp < 0) return kOther;
  if (u_isUWhiteSpace(cp)) return kSpace;
  if (u_hasBinaryProperty(cp, UCHAR_ALPHABETIC)) return kLetter;
  if (u_isdigit(cp)) return kDigit;
  return kOther;
}

bool IsWordCodePoint(UChar32 cp) {
  if (cp < 0) return false;
  if (cp < 128) {
    const uint8_t k = kAscii.cls[cp];
    return k == kLetter || k == kDigit;
  }
  if (u_hasBinaryProperty(cp, UCHAR_ALPHABETIC) || u_isdigit(cp)) return true;
  const int8_t type = u_charType(cp);
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK || type == U_ENCLOSING_MARK;
}

// The class of the code point at in[i], and its length in bytes.
template <bool kAsciiOnly>
inline CharClass ClassAt(const uint8_t* in, size_t n, size_t i, size_t* len) {
  if (kAsciiOnly || in[i] < 0x80) {
    *len = 1;
    return static_cast<CharClass>(kAscii.cls[in[i]]);
  }
  int32_t j = static_cast<int32_t>(i);
  UChar32 cp;
  U8_NEXT(in, j, static_cast<int32_t>(n), cp);
  *len = static_cast<size_t>(j) - i;
  return Classify(cp);
}

// Steps 2-4 of the view (apostrophes, intra-word punctuation, white space) on
// folded text. With kAsciiOnly the input is raw ASCII source: it is lower-cased
// here and its origin is the identity; otherwise `in` is already folded and
// `in_origin` maps it to the source.
template <bool kAsciiOnly>
void Squeeze(const uint8_t* in, size_t n, const uint32_t* in_origin, size_t source_size, MatchView* view) {
  view->text.resize(n);
  view->origin.resize(n + 1);
  char* out = view->text.data();
  uint32_t* org = view->origin.data();
  auto origin_of = [&](size_t i) -> uint32_t {
    if constexpr (kAsciiOnly) {
      return static_cast<uint32_t>(i);
    } else {
      return in_origin[i];
    }
  };
  size_t w = 0;
  size_t segment = 0;  // letters since the last non-letter or dropped separator run
  bool last_space = false;
  size_t i = 0;
  while (i < n) {
    size_t len;
    const CharClass k = ClassAt<kAsciiOnly>(in, n, i, &len);
    switch (k) {
      case kSpace:
        segment = 0;
        if (!last_space) {
          out[w] = ' ';
          org[w++] = origin_of(i);
          last_space = true;
        }
        i += len;
        continue;
      case kApostrophe:
        i += len;
        continue;
      case kSeparator:
        if (segment > 0) {
          // Find the end of the separator run and look at the letters after it.
          size_t run_end = i + len;
          size_t next_len = 0;
          CharClass next = kOther;
          while (run_end < n) {
            next = ClassAt<kAsciiOnly>(in, n, run_end, &next_len);
            if (next != kSeparator && next != kApostrophe) break;
            run_end += next_len;
          }
          if (run_end < n && next == kLetter) {
            const size_t after = run_end + next_len;
            size_t after_len;
            const bool next_single = after >= n || ClassAt<kAsciiOnly>(in, n, after, &after_len) != kLetter;
            if (segment == 1 || next_single) {
              i = run_end;
              segment = 0;
              continue;
            }
          }
        }
        segment = 0;
        break;
      case kLetter:
        ++segment;
        break;
      default:
        segment = 0;
        break;
    }
    last_space = false;
    for (size_t b = 0; b < len; ++b) {
      const uint8_t c = in[i + b];
      out[w] = c < 0x80 ? kAscii.lower[c] : static_cast<char>(c);
      org[w++] = origin_of(i + b);
    }
    i += len;
  }
  org[w] = static_cast<uint32_t>(source_size);
  view->text.resize(w);
  view->origin.resize(w + 1);
}

// FoldForMatching works code point by code point, so folding each maximal run
// of non-ASCII bytes on its own (and lower-casing ASCII inline) gives exactly
// its result for the whole string, without its per-byte cost on the ASCII
// majority of a typical message.
void FoldHybrid(std::string_view src, MatchView* view) {
  std::string& folded = view->folded_scratch;
  std::vector<uint32_t>& origin = view->folded_origin_scratch;
  folded.clear();
  origin.clear();
  const size_t n = src.size();
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && static_cast<uint8_t>(src[j]) < 0x80) ++j;
    if (j > i) {
      const size_t base = folded.size();
      folded.resize(base + (j - i));
      origin.resize(base + (j - i));
      for (size_t k = i; k < j; ++k) {
        folded[base + k - i] = kAscii.lower[static_cast<uint8_t>(src[k])];
        origin[base + k - i] = static_cast<uint32_t>(k);
      }
      i = j;
      if (i >= n) break;
    }
    j = i + 1;
    while (j < n && static_cast<uint8_t>(src[j]) >= 0x80) ++j;
    const FoldedText run = FoldForMatching(src.substr(i, j - i));
    folded.append(run.text);
    for (size_t k = 0; k < run.text.size(); ++k) origin.push_back(run.origin[k] + static_cast<uint32_t>(i));
    i = j;
  }
}

void BuildAscii(std::string_view src, MatchView* view) {
  Squeeze<true>(reinterpret_cast<const uint8_t*>(src.data()), src.size(), nullptr, src.size(), view);
}

void BuildGeneral(std::string_view src, MatchView* view) {
  FoldHybrid(src, view);
  Squeeze<false>(reinterpret_cast<const uint8_t*>(view->folded_scratch.data()), view->folded_scratch.size(),
                 view->folded_origin_scratch.data(), src.size(), view);
}

}  // namespace

void BuildMatchView(std::string_view source, MatchView* view) {
  if (IsAllAscii(source)) {
    BuildAscii(source, view);
  } else {
    BuildGeneral(source, view);
  }
}

void BuildMatchViewSlowPathForTest(std::string_view source, MatchView* view) { BuildGeneral(source, view); }

FoldedText FoldHybridForTest(std::string_view source) {
  MatchView view;
  FoldHybrid(source, &view);
  FoldedText out;
  out.text = view.folded_scratch;
  out.origin = view.folded_origin_scratch;
  out.origin.push_back(static_cast<uint32_t>(source.size()));
  return out;
}

std::string MatchText(std::string_view source) {
  MatchView view;
  BuildMatchView(source, &view);
  return std::move(view.text);
}

uint32_t SourceEnd(std::string_view source, const MatchView& view, size_t vend) {
  if (vend == 0) return view.origin.empty() ? 0 : view.origin[0];
  const uint32_t s = view.origin[vend - 1];
  if (s >= source.size()) return static_cast<uint32_t>(source.size());
  const auto lead = static_cast<uint8_t>(source[s]);
  size_t len = 1;
  if (lead >= 0xF0) {
    len = 4;
  } else if (lead >= 0xE0) {
    len = 3;
  } else if (lead >= 0xC0) {
    len = 2;
  }
  size_t e = s + 1;
  while (e < source.size() && e < s + len && (static_cast<uint8_t>(source[e]) & 0xC0) == 0x80) ++e;
  return static_cast<uint32_t>(e);
}

bool IsWordBefore(std::string_view text, size_t pos) {
  if (pos == 0 || pos > text.size()) return false;
  const auto c = static_cast<uint8_t>(text[pos - 1]);
  if (c < 0x80) return IsWordCodePoint(c);
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  int32_t i = static_cast<int32_t>(pos);
  UChar32 cp;
  U8_PREV(p, 0, i, cp);
  return IsWordCodePoint(cp);
}

bool IsWordAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  const auto c = static_cast<uint8_t>(text[pos]);
  if (c < 0x80) return IsWordCodePoint(c);
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  int32_t i = static_cast<int32_t>(pos);
  UChar32 cp;
  U8_NEXT(p, i, static_cast<int32_t>(text.size()), cp);
  return IsWordCodePoint(cp);
}

}  // namespace recall::scanner::internal
