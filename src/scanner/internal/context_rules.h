#pragma once
// The context checks that a plain vocabulary match cannot make: lab values
// after a test name, surnames after a title, acronym-only terms, and the
// shape of codes. Pure functions; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace recall::scanner::internal {

// `view` is match-view text (lower case, single spaces) and `pos` the end of a
// lab test name in it. Returns the end of a value that follows ("of 9.2",
// " 150/95", ": 9.2%", " is high", " came back elevated"), or npos. Times
// ("at 3:30", "3 pm") and long numbers (zip codes, phone numbers) are not
// values. With ambiguous_name (names that only count with a value: "BP",
// "PSA"), a number followed by an unrelated word is not a value either
// ("PSA: 3 games").
size_t LabValueEnd(std::string_view view, size_t pos, bool ambiguous_name = false);

// True when source[start, end) is one capitalised word ("Burns", not "BURNS"
// or "burns") preceded by a title from `titles` (match-view form, e.g. "dr"),
// directly or across one or two capitalised names or initials:
// "Dr. Burns", "Mrs Gallstone", "Dr. Anna M. Cramp".
bool IsSurnameAfterTitle(std::string_view source, size_t start, size_t end,
                         const std::unordered_set<std::string>& titles);

// True when the first code point is upper case and a later one lower case:
// "Burns", "Delphine"; not "burns", "BURNS" or "B".
bool IsCapitalisedWord(std::string_view span);

// Upper-case letters in a UTF-8 span (ASCII and non-ASCII).
size_t CountUppercase(std::string_view span);

// True when the view range [start, end) is set apart like a code rather than
// sitting inside a version number, URL or file name: not preceded by . / - @ _
// and not followed by one of those and a letter or digit.
bool CodeIsStandalone(std::string_view view, size_t start, size_t end);

}  // namespace recall::scanner::internal
