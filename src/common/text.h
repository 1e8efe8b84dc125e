#pragma once
// Text helpers shared by every parser and matcher: UTF-8 validation, and the
// one folding that the scanner and the inbound classifier both match on.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recall {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Text folded for matching, with a map back to the source bytes.
//   text:   the folded UTF-8 (NFKC case-folded: full-width letters become ASCII,
//           upper case becomes lower case; default-ignorable code points such as
//           zero-width spaces and soft hyphens are removed).
//   origin: origin[i] is the byte offset in the source where the code point that
//           produced folded byte i starts; origin[text.size()] == source.size().
struct FoldedText {
  std::string text;
  std::vector<uint32_t> origin;
  // Source byte range [begin, end) for folded range [fbegin, fend).
  uint32_t SourceBegin(size_t fbegin) const { return origin[fbegin]; }
  uint32_t SourceEnd(size_t fend) const;  // end of the code point holding byte fend-1
};

// Folds valid UTF-8; invalid sequences are replaced by U+FFFD (callers that must
// reject invalid input check IsValidUtf8 first). ASCII takes a fast path.
FoldedText FoldForMatching(std::string_view utf8);

// ASCII lower-casing and trimming, for headers and keywords.
std::string AsciiLower(std::string_view s);
std::string_view TrimAscii(std::string_view s);

}  // namespace recall
