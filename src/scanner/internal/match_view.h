#pragma once
// The text the vocabulary is matched against, with a map back to the source.
//
// BuildMatchView applies, in order:
//   1. recall::FoldForMatching (NFKC case folding, default-ignorable code
//      points such as zero-width spaces removed). Pure-ASCII input takes a fast
//      path that gives byte-for-byte the same result (ASCII lower-casing).
//   2. Apostrophes (' ’ ‘ ʼ `) are dropped: "Crohn's" -> "crohns".
//   3. A run of intra-word punctuation (. - _ * · • and the Unicode hyphens and
//      dashes) between two letters is dropped when one of the two letter runs
//      it separates is a single letter, which is how acronyms get spelled out:
//      "H.I.V." -> "hiv.", "s-t-d" -> "std", "c-section" -> "csection",
//      "X-ray" -> "xray". Between longer words it stays, so "HIV-positive" and
//      "statin-free" still contain the whole words "hiv" and "statin".
//      Punctuation next to a digit or a space always stays ("E11.9",
//      "covid-19", "Dr. Lee").
//   4. Every run of white space becomes one ' '.
// Vocabulary terms go through the same function when they are loaded, so a
// term and the text it should match always agree.
//
// Not thread-safe: a MatchView is a reusable buffer owned by one caller.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"

namespace recall::scanner::internal {

struct MatchView {
  std::string text;
  // origin[i]: offset in the source of the code point that produced text[i];
  // origin[text.size()] == source.size().
  std::vector<uint32_t> origin;
  // Reused working space for the non-ASCII path.
  std::string folded_scratch;
  std::vector<uint32_t> folded_origin_scratch;
};

// Rebuilds *view from `source`, reusing its buffers. `source` must be shorter
// than 4 GiB (callers scan in chunks).
void BuildMatchView(std::string_view source, MatchView* view);

// Convenience for loading terms: the view text alone.
std::string MatchText(std::string_view source);

// Source offset just past the code point that produced view byte vend - 1
// (vend > 0), i.e. the exclusive source end of view range [.., vend).
uint32_t SourceEnd(std::string_view source, const MatchView& view, size_t vend);

// Word characters for boundaries: ASCII letters and digits, and non-ASCII
// letters, marks and digits. These read the code point before `pos` / at `pos`
// in a UTF-8 string; out of range counts as a non-word character.
bool IsWordBefore(std::string_view text, size_t pos);
bool IsWordAt(std::string_view text, size_t pos);

// Test hooks: force the general (non-ASCII) path for any input; and the
// folding step of that path alone, which must equal FoldForMatching.
void BuildMatchViewSlowPathForTest(std::string_view source, MatchView* view);
FoldedText FoldHybridForTest(std::string_view source);

}  // namespace recall::scanner::internal
