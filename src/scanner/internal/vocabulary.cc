#include "scanner/internal/vocabulary.h"

#include <array>
#include <cstdio>

#include "common/text.h"
#include "scanner/internal/match_view.h"

namespace recall::scanner::internal {
namespace {

Status LineError(std::string_view file_name, size_t line_no, std::string_view what) {
  return InvalidArgumentError(std::string(file_name) + ":" + std::to_string(line_no) + ": " + std::string(what));
}

// Calls fn(line_no, content) for each line with comments and surrounding
// space removed; empty lines are skipped.
template <typename Fn>
Status ForEachLine(std::string_view contents, std::string_view file_name, Fn fn) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < contents.size()) {
    size_t eol = contents.find('\n', pos);
    if (eol == std::string_view::npos) eol = contents.size();
    std::string_view line = contents.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!IsValidUtf8(line)) return LineError(file_name, line_no, "invalid UTF-8");
    const size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = TrimAscii(line);
    if (line.empty()) continue;
    RETURN_IF_ERROR(fn(line_no, line));
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFoundError("cannot open " + path);
  std::string data;
  std::array<char, 65536> buf;
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) data.append(buf.data(), got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return InternalError("read error on " + path);
  return data;
}

std::string_view CategoryName(Category category) {
  switch (category) {
    case Category::kDiagnosis:
      return kDiagnosis;
    case Category::kMedication:
      return kMedication;
    case Category::kProcedure:
      return kProcedure;
    case Category::kLabResult:
      return kLabResult;
    case Category::kCode:
      return kCode;
    case Category::kSensitiveService:
      return kSensitiveService;
    case Category::kMedicalTerm:
      return kMedicalTerm;
    case Category::kScannerError:
      return kScannerError;
  }
  return "unknown";
}

Status ParseVocabulary(std::string_view contents, std::string_view file_name, Category category, TermKind kind,
                       std::vector<TermEntry>* out) {
  Severity severity = Severity::kBlock;
  bool value_only = false;
  return ForEachLine(contents, file_name, [&](size_t line_no, std::string_view line) -> Status {
    if (line.front() == '[') {
      if (kind == TermKind::kAllow) return LineError(file_name, line_no, "sections are not allowed in this file");
      if (line == "[block]") {
        severity = Severity::kBlock;
        value_only = false;
      } else if (line == "[warn]") {
        severity = Severity::kWarn;
        value_only = false;
      } else if (line == "[value]") {
        if (kind != TermKind::kLabAnalyte) return LineError(file_name, line_no, "[value] is only for lab tests");
        severity = Severity::kBlock;
        value_only = true;
      } else {
        return LineError(file_name, line_no, "unknown section");
      }
      return OkStatus();
    }
    TermEntry entry;
    if (line.front() == '!') {
      if (kind == TermKind::kAllow) return LineError(file_name, line_no, "'!' is not allowed in this file");
      entry.acronym_only = true;
      line = TrimAscii(line.substr(1));
    }
    entry.text = MatchText(line);
    // A view may start or end with the single space left by trimming NBSPs.
    while (!entry.text.empty() && entry.text.back() == ' ') entry.text.pop_back();
    while (!entry.text.empty() && entry.text.front() == ' ') entry.text.erase(0, 1);
    if (entry.text.empty()) return LineError(file_name, line_no, "term folds to nothing");
    if (entry.text.size() > kMaxTermBytes) return LineError(file_name, line_no, "term too long");
    entry.category = category;
    entry.severity = severity;
    entry.kind = kind;
    entry.value_only = value_only;
    out->push_back(std::move(entry));
    return OkStatus();
  });
}

StatusOr<std::vector<std::string>> ParseWordList(std::string_view contents, std::string_view file_name) {
  std::vector<std::string> words;
  Status status = ForEachLine(contents, file_name, [&](size_t, std::string_view line) -> Status {
    std::string word = MatchText(line);
    if (!word.empty()) words.push_back(std::move(word));
    return OkStatus();
  });
  if (!status.ok()) return status;
  return words;
}

std::vector<std::string> IrregularPlurals(std::string_view term) {
  std::vector<std::string> out;
  const size_t n = term.size();
  auto is_vowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; };
  if (n >= 3 && term[n - 1] == 'y' && term[n - 2] >= 'a' && term[n - 2] <= 'z' && !is_vowel(term[n - 2])) {
    out.push_back(std::string(term.substr(0, n - 1)) + "ies");
  }
  if (n >= 5 && term.substr(n - 3) == "sis") {
    out.push_back(std::string(term.substr(0, n - 3)) + "ses");
  }
  return out;
}

}  // namespace recall::scanner::internal
