#pragma once
// The optional warn-only layer: words of Debian's hunspell medical dictionary
// (hunspell-en-med, GPL-3), read at run time from the installed package and
// never copied into the repository.
//
// The medical dictionary also holds everyday words ("duplication", "blotting"),
// place names and surnames, so LoadMedicalWords keeps only entries that
//   - start with a lower-case letter (capitalised entries are eponyms, brands,
//     names),
//   - are plain ASCII letters and at least min_length long,
//   - are not everyday English: not a form of the hunspell en_US dictionary
//     (prefixes and suffixes of its .aff expanded), nor such a form plus
//     -s/-es/-ed/-ing/-ly/-al/-ic, nor such a form minus a final "e"
//     (truncated stems: "manipulat"), nor the British spelling of one
//     ("behaviour", "localisation"),
//   - are not in `exclude` (data/scanner/system_dictionary_exclude.txt).
// Thread-compatible; loading takes a few hundred milliseconds.
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/status.h"

namespace recall::scanner::internal {

// Every lower-cased word form of a hunspell dictionary: each stem, each stem
// with one prefix or one suffix rule applied, and both where the rules allow
// cross products. `aff` and `dic` are the two files' contents.
std::unordered_set<std::string> ExpandHunspellForms(std::string_view aff, std::string_view dic);

// The filtered medical words, lower case, sorted.
std::vector<std::string> FilterMedicalWords(std::string_view medical_dic,
                                            const std::unordered_set<std::string>& english_forms,
                                            const std::unordered_set<std::string>& exclude, size_t min_length);

// Loads both dictionaries from disk and filters (english_dic's .aff sits beside
// it: en_US.dic -> en_US.aff).
//   NotFound  a dictionary file is missing.
//   Internal  a read error.
StatusOr<std::vector<std::string>> LoadMedicalWords(const std::string& medical_dic, const std::string& english_dic,
                                                    const std::unordered_set<std::string>& exclude, size_t min_length);

}  // namespace recall::scanner::internal
