#pragma once
// Parsing of the vocabulary files in data/scanner/ (format: data/scanner/README.md).
//
//   # comment                 '#' starts a comment anywhere on a line
//   [block] / [warn]          severity of the terms that follow (default block)
//   [value]                   lab_tests.txt only: the name counts only with a value
//   !term                     acronym-only: matches only when written with two or
//                             more capital letters ("AIDS", "PrEP", not "aids")
//   term                      anything else: one term per line
//
// Terms are stored in match-view form (see match_view.h), so "Crohn's disease"
// is kept as "crohns disease". Pure functions; thread-compatible.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scanner/scanner.h"

namespace recall::scanner::internal {

enum class Category : uint8_t {
  kDiagnosis,
  kMedication,
  kProcedure,
  kLabResult,
  kCode,
  kSensitiveService,
  kMedicalTerm,
  kScannerError,
};
inline constexpr int kCategoryCount = 8;

// The public name ("diagnosis", ...). kScannerError is "scanner_error".
std::string_view CategoryName(Category category);

// How a term is used once matched.
enum class TermKind : uint8_t {
  kTerm,        // reported as its category
  kLabAnalyte,  // reported as procedure; with a value after it, as lab_result
  kAllow,       // suppresses findings that lie inside it
};

struct TermEntry {
  std::string text;  // match-view form
  Category category = Category::kDiagnosis;
  Severity severity = Severity::kBlock;
  TermKind kind = TermKind::kTerm;
  bool acronym_only = false;
  bool value_only = false;  // kLabAnalyte from a [value] section
};

// Reads a whole file.
//   NotFound  the file does not exist or cannot be opened.
//   Internal  a read error.
StatusOr<std::string> ReadWholeFile(const std::string& path);

// Longest term accepted, in match-view bytes.
inline constexpr size_t kMaxTermBytes = 96;

// Parses one vocabulary file and appends its entries to *out.
//   InvalidArgument  invalid UTF-8, an unknown section, [value] outside a lab
//                    file, '!' in the allow list, or a term that is empty or
//                    longer than kMaxTermBytes once folded. The message names
//                    `file_name` and the line number only.
Status ParseVocabulary(std::string_view contents, std::string_view file_name, Category category, TermKind kind,
                       std::vector<TermEntry>* out);

// Parses a plain word list (titles.txt, system_dictionary_exclude.txt): one
// entry per line, comments allowed, returned in match-view form.
//   InvalidArgument  invalid UTF-8 (file name and line number in the message).
StatusOr<std::vector<std::string>> ParseWordList(std::string_view contents, std::string_view file_name);

// Plural forms that are not the term plus "s"/"es" (those are matched at scan
// time): consonant + "y" -> "ies" (therapy -> therapies), "sis" -> "ses"
// (diagnosis -> diagnoses). Empty when there are none.
std::vector<std::string> IrregularPlurals(std::string_view term);

}  // namespace recall::scanner::internal
