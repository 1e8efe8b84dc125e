#pragma once
// Helpers shared by the parser, the policy checks and the SMS counter. Not API.
#include <string>
#include <string_view>
#include <vector>

#include "templates/templates.h"

namespace recall::templates::internal {

// Decodes the code point at s[*pos] and advances *pos past it. Returns false,
// leaving *pos unchanged, on a malformed, overlong, surrogate or out-of-range
// sequence.
bool DecodeUtf8(std::string_view s, size_t* pos, char32_t* cp);

// The template's literal text with each variable replaced by a space; with
// `strip_markup`, HTML tags and comments (<...>) are replaced by a space too.
std::string LiteralText(const ParsedTemplate& parsed, bool strip_markup);

// Words of `text` after case folding (FoldForMatching): maximal runs of
// letters, marks and digits. "Reply STOP!" -> {"reply", "stop"}.
std::vector<std::string> FoldedWords(std::string_view text);

// Number of code points in `text` after trimming and collapsing whitespace runs
// to one space. `text` must be valid UTF-8.
size_t CollapsedLength(std::string_view text);

}  // namespace recall::templates::internal
