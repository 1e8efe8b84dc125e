#include "scanner/scanner.h"

#include <hs.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "scanner/internal/context_rules.h"
#include "scanner/internal/match_view.h"
#include "scanner/internal/system_dictionary.h"
#include "scanner/internal/vocabulary.h"

namespace recall::scanner {

using internal::Category;
using internal::TermKind;

std::string_view SeverityName(Severity severity) { return severity == Severity::kBlock ? "block" : "warn"; }

bool HasBlocking(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::kBlock; });
}

std::string DefaultDataDir() {
  const char* env = std::getenv("RECALL_DATA_FILES");
  if (env != nullptr && *env != '\0') return std::string(env) + "/scanner";
#ifdef RECALL_SCANNER_SOURCE_DATA_DIR
  std::error_code ec;
  if (std::filesystem::is_directory(RECALL_SCANNER_SOURCE_DATA_DIR, ec)) return RECALL_SCANNER_SOURCE_DATA_DIR;
#endif
  return "/usr/share/recall/scanner";
}

namespace {

// Large inputs are scanned in chunks so the view buffers stay small; chunks
// overlap so that no finding is cut in two (a finding is at most a few
// hundred bytes of source).
constexpr size_t kChunkBytes = 256 * 1024;
constexpr size_t kOverlapBytes = 4096;

// Hyperscan ids at and above this belong to the regex database.
constexpr unsigned kRegexIdBase = 1u << 30;

// System dictionary words shorter than this are skipped: short ones are too
// often abbreviations or fragments of everyday words.
constexpr size_t kSystemWordMinLength = 7;

struct VocabularyFile {
  const char* name;
  Category category;
  TermKind kind;
};

constexpr VocabularyFile kVocabularyFiles[] = {
    {"diagnoses.txt", Category::kDiagnosis, TermKind::kTerm},
    {"medications.txt", Category::kMedication, TermKind::kTerm},
    {"procedures.txt", Category::kProcedure, TermKind::kTerm},
    {"lab_tests.txt", Category::kProcedure, TermKind::kLabAnalyte},
    {"lab_results.txt", Category::kLabResult, TermKind::kTerm},
    {"sensitive_services.txt", Category::kSensitiveService, TermKind::kTerm},
    {"allow.txt", Category::kDiagnosis, TermKind::kAllow},
};
constexpr const char* kTitlesFile = "titles.txt";
constexpr const char* kSystemExcludeFile = "system_dictionary_exclude.txt";

enum class CodeRule : uint8_t { kIcdStandalone, kIcdContext, kCptContext };

struct CodePattern {
  const char* expression;  // runs on the match view: lower case, single spaces
  CodeRule rule;
};

// ICD-10(-CM): a letter, a digit, a digit or letter, then (standalone) a dot
// and one to four characters: E11.9, F32.A, Z00.00, O09.511. Standalone codes
// never start with U or V ("v10.2" is a version number; U and V codes are rare
// in outreach and still match after "ICD"/"dx"). Without the dot
// (E119) or for CPT/HCPCS codes (99213, 0001F, G0438), only after a word that
// says it is a code, so zip codes, times and phone numbers never match.
constexpr CodePattern kCodePatterns[] = {
    {R"(\b[a-tw-z][0-9][0-9a-z]\.[0-9a-z]{1,4}\b)", CodeRule::kIcdStandalone},
    {R"(\b(?:icd(?:-?10)?(?:-?cm)?|dx|diagnosis)(?: codes?)?(?: ?[:#=-])? ?[a-z][0-9][0-9a-z](?:\.?[0-9a-z]{1,4})?\b)",
     CodeRule::kIcdContext},
    {R"(\b(?:cpt(?:\xc2\xae)?|hcpcs|procedure codes?|billing codes?)(?: codes?)?(?: ?[:#=-])? ?(?:[0-9]{4}[0-9ftu]|[a-z][0-9]{4})\b)",
     CodeRule::kCptContext},
};

struct TermMeta {
  Category category;
  Severity severity;
  TermKind kind;
  bool acronym_only;
  bool value_only;
};

struct Pattern {
  uint32_t length;
  bool word_start;
  bool word_end;
  uint32_t first_meta;
  uint32_t meta_count;
};

struct Hit {
  uint32_t id;
  uint32_t from;
  uint32_t to;
};

struct ViewCandidate {
  uint32_t vstart;
  uint32_t vend;
  Category category;
  Severity severity;
  bool acronym_only;
};

struct Candidate {
  size_t start;
  size_t end;
  Category category;
  Severity severity;
};

struct MatchContext {
  std::vector<Hit>* hits;
  bool failed = false;
};

int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/, void* ctx) {
  auto* context = static_cast<MatchContext*>(ctx);
  try {
    context->hits->push_back({id, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
  } catch (...) {  // never let an exception unwind through Hyperscan's C frames
    context->failed = true;
    return 1;
  }
  return 0;
}

// Ties on the same span: the most telling category wins.
int CategoryRank(Category category) {
  switch (category) {
    case Category::kScannerError:
      return 0;
    case Category::kSensitiveService:
      return 1;
    case Category::kLabResult:
      return 2;
    case Category::kDiagnosis:
      return 3;
    case Category::kMedication:
      return 4;
    case Category::kProcedure:
      return 5;
    case Category::kCode:
      return 6;
    case Category::kMedicalTerm:
      return 7;
  }
  return 8;
}

bool SurnameCanHide(Category category) {
  return category == Category::kDiagnosis || category == Category::kMedication || category == Category::kProcedure ||
         category == Category::kMedicalTerm;
}

// "-es" plurals follow s, x, z, ch and sh ("abscesses", "rashes"); elsewhere
// they would let a truncated stem match a different word ("manipulat" in
// "manipulates").
bool TakesEsPlural(std::string_view view, size_t term_end) {
  if (term_end == 0) return false;
  const char last = view[term_end - 1];
  if (last == 's' || last == 'x' || last == 'z') return true;
  return term_end >= 2 && last == 'h' && (view[term_end - 2] == 'c' || view[term_end - 2] == 's');
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string JoinPath(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Per-call buffers and Hyperscan scratch, pooled by the Scanner.
struct Workspace {
  hs_scratch_t* scratch = nullptr;
  internal::MatchView view;
  std::vector<Hit> hits;
  std::vector<ViewCandidate> view_candidates;
  std::vector<std::pair<uint32_t, uint32_t>> allows;
  std::vector<Candidate> candidates;
  ~Workspace() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

// Each thread keeps the workspace it used last, tagged with the id of the
// Scanner it belongs to, so steady-state scans take no lock. A workspace of a
// different (possibly destroyed) Scanner is simply freed: scratch space does
// not refer to its database after allocation.
struct ThreadWorkspace {
  uint64_t owner = 0;
  std::unique_ptr<Workspace> workspace;
};
thread_local ThreadWorkspace t_workspace;

std::atomic<uint64_t> g_next_scanner_id{1};

}  // namespace

class Scanner::Impl {
 public:
  Impl() : id_(g_next_scanner_id.fetch_add(1)) {}
  ~Impl() {
    if (literal_db_ != nullptr) hs_free_database(literal_db_);
    if (code_db_ != nullptr) hs_free_database(code_db_);
  }

  Status Build(const ScannerOptions& options);
  std::vector<Finding> Scan(std::string_view source) const;
  size_t vocabulary_size() const { return patterns_.size(); }
  bool uses_system_dictionary() const { return uses_system_dictionary_; }

 private:
  void AddTerm(const std::string& text, const TermMeta& meta);
  Status Compile();

  std::unique_ptr<Workspace> Acquire() const;
  void Release(std::unique_ptr<Workspace> workspace) const;

  // Scans source[begin, end) and appends to workspace->candidates the
  // findings whose source start lies in [accept_from, accept_to).
  bool ScanChunk(std::string_view source, size_t begin, size_t end, size_t accept_from, size_t accept_to,
                 Workspace* ws) const;
  void CollectLiteral(const Hit& hit, bool left_is_word, Workspace* ws) const;
  void CollectCode(const Hit& hit, Workspace* ws) const;
  static std::vector<Finding> Finalize(std::string_view source, std::vector<Candidate>* candidates);
  static std::vector<Finding> FailClosed(std::string_view source);

  // Build-time only.
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<std::string> pattern_texts_;
  std::vector<std::vector<TermMeta>> pattern_metas_;

  // Immutable after Build.
  const uint64_t id_;
  bool uses_system_dictionary_ = false;
  std::vector<Pattern> patterns_;
  std::vector<TermMeta> metas_;
  std::unordered_set<std::string> titles_;
  hs_database_t* literal_db_ = nullptr;
  hs_database_t* code_db_ = nullptr;
  hs_scratch_t* prototype_scratch_ = nullptr;  // owned by prototype_ below
  std::unique_ptr<Workspace> prototype_;

  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Workspace>> pool_;  // GUARDED_BY(pool_mu_)
};

void Scanner::Impl::AddTerm(const std::string& text, const TermMeta& meta) {
  auto [it, inserted] = index_.try_emplace(text, static_cast<uint32_t>(pattern_texts_.size()));
  if (inserted) {
    pattern_texts_.push_back(text);
    pattern_metas_.emplace_back();
  }
  std::vector<TermMeta>& metas = pattern_metas_[it->second];
  for (TermMeta& existing : metas) {
    if (existing.category == meta.category && existing.kind == meta.kind &&
        existing.acronym_only == meta.acronym_only && existing.value_only == meta.value_only) {
      if (meta.severity == Severity::kBlock) existing.severity = Severity::kBlock;
      return;
    }
  }
  metas.push_back(meta);
}

Status Scanner::Impl::Build(const ScannerOptions& options) {
  const std::string dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return NotFoundError("scanner data folder not found: " + dir);

  for (const VocabularyFile& file : kVocabularyFiles) {
    ASSIGN_OR_RETURN(std::string contents, internal::ReadWholeFile(JoinPath(dir, file.name)));
    std::vector<internal::TermEntry> entries;
    RETURN_IF_ERROR(internal::ParseVocabulary(contents, file.name, file.category, file.kind, &entries));
    for (const internal::TermEntry& entry : entries) {
      const TermMeta meta{entry.category, entry.severity, entry.kind, entry.acronym_only, entry.value_only};
      AddTerm(entry.text, meta);
      for (const std::string& plural : internal::IrregularPlurals(entry.text)) AddTerm(plural, meta);
    }
  }

  ASSIGN_OR_RETURN(std::string titles_text, internal::ReadWholeFile(JoinPath(dir, kTitlesFile)));
  ASSIGN_OR_RETURN(std::vector<std::string> titles, internal::ParseWordList(titles_text, kTitlesFile));
  titles_.insert(titles.begin(), titles.end());

  if (options.system_medical_dictionary != SystemDictionary::kOff) {
    ASSIGN_OR_RETURN(std::string exclude_text, internal::ReadWholeFile(JoinPath(dir, kSystemExcludeFile)));
    ASSIGN_OR_RETURN(std::vector<std::string> exclude_list, internal::ParseWordList(exclude_text, kSystemExcludeFile));
    std::unordered_set<std::string> exclude(exclude_list.begin(), exclude_list.end());
    StatusOr<std::vector<std::string>> words = internal::LoadMedicalWords(
        options.system_medical_dictionary_path, options.system_english_dictionary_path, exclude, kSystemWordMinLength);
    if (words.ok()) {
      const TermMeta meta{Category::kMedicalTerm, Severity::kWarn, TermKind::kTerm, false, false};
      for (const std::string& word : *words) {
        // Curated entries win: a word already in the lists keeps its category.
        if (!index_.contains(word)) AddTerm(word, meta);
      }
      uses_system_dictionary_ = true;
    } else if (words.status().code() != StatusCode::kNotFound) {
      return words.status();
    } else if (options.system_medical_dictionary == SystemDictionary::kRequired) {
      return FailedPreconditionError("system medical dictionary requested but not installed: " +
                                     words.status().message());
    }
  }
  return Compile();
}

Status Scanner::Impl::Compile() {
  patterns_.reserve(pattern_texts_.size());
  std::vector<const char*> expressions;
  std::vector<size_t> lengths;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (size_t id = 0; id < pattern_texts_.size(); ++id) {
    const std::string& text = pattern_texts_[id];
    Pattern pattern;
    pattern.length = static_cast<uint32_t>(text.size());
    pattern.word_start = internal::IsWordAt(text, 0);
    pattern.word_end = internal::IsWordBefore(text, text.size());
    pattern.first_meta = static_cast<uint32_t>(metas_.size());
    pattern.meta_count = static_cast<uint32_t>(pattern_metas_[id].size());
    metas_.insert(metas_.end(), pattern_metas_[id].begin(), pattern_metas_[id].end());
    patterns_.push_back(pattern);
    expressions.push_back(text.c_str());
    lengths.push_back(text.size());
    flags.push_back(0);
    ids.push_back(static_cast<unsigned>(id));
  }
  if (expressions.empty()) return InvalidArgumentError("scanner vocabulary is empty");

  hs_compile_error_t* error = nullptr;
  if (hs_compile_lit_multi(expressions.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr, &literal_db_,
                           &error) != HS_SUCCESS) {
    std::string message = "hyperscan failed to compile the vocabulary";
    if (error != nullptr) {
      message += ": " + std::string(error->message != nullptr ? error->message : "") + " (pattern " +
                 std::to_string(error->expression) + ")";
      hs_free_compile_error(error);
    }
    return InternalError(message);
  }

  std::vector<const char*> code_expressions;
  std::vector<unsigned> code_flags;
  std::vector<unsigned> code_ids;
  for (size_t i = 0; i < std::size(kCodePatterns); ++i) {
    code_expressions.push_back(kCodePatterns[i].expression);
    code_flags.push_back(HS_FLAG_SOM_LEFTMOST);
    code_ids.push_back(kRegexIdBase + static_cast<unsigned>(i));
  }
  error = nullptr;
  if (hs_compile_multi(code_expressions.data(), code_flags.data(), code_ids.data(),
                       static_cast<unsigned>(code_expressions.size()), HS_MODE_BLOCK, nullptr, &code_db_,
                       &error) != HS_SUCCESS) {
    std::string message = "hyperscan failed to compile the code patterns";
    if (error != nullptr) {
      message += ": " + std::string(error->message != nullptr ? error->message : "");
      hs_free_compile_error(error);
    }
    return InternalError(message);
  }

  prototype_ = std::make_unique<Workspace>();
  if (hs_alloc_scratch(literal_db_, &prototype_->scratch) != HS_SUCCESS ||
      hs_alloc_scratch(code_db_, &prototype_->scratch) != HS_SUCCESS) {
    return InternalError("hyperscan failed to allocate scratch space");
  }
  prototype_scratch_ = prototype_->scratch;

  index_.clear();
  pattern_texts_.clear();
  pattern_texts_.shrink_to_fit();
  pattern_metas_.clear();
  pattern_metas_.shrink_to_fit();
  return OkStatus();
}

std::unique_ptr<Workspace> Scanner::Impl::Acquire() const {
  if (t_workspace.owner == id_ && t_workspace.workspace != nullptr) return std::move(t_workspace.workspace);
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      std::unique_ptr<Workspace> ws = std::move(pool_.back());
      pool_.pop_back();
      return ws;
    }
  }
  auto ws = std::make_unique<Workspace>();
  if (hs_clone_scratch(prototype_scratch_, &ws->scratch) != HS_SUCCESS) return nullptr;
  return ws;
}

void Scanner::Impl::Release(std::unique_ptr<Workspace> workspace) const {
  // A workspace that grew on a huge input is not worth keeping around.
  if (workspace->view.text.capacity() > 2 * kChunkBytes) workspace->view = internal::MatchView();
  if (t_workspace.workspace == nullptr || t_workspace.owner != id_) {
    t_workspace.owner = id_;
    t_workspace.workspace = std::move(workspace);
    return;
  }
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(workspace));
}

void Scanner::Impl::CollectLiteral(const Hit& hit, bool left_is_word, Workspace* ws) const {
  const std::string_view view = ws->view.text;
  const Pattern& pattern = patterns_[hit.id];
  const uint32_t vstart = hit.to - pattern.length;
  uint32_t vend = hit.to;
  if (pattern.word_start && (vstart == 0 ? left_is_word : internal::IsWordBefore(view, vstart))) return;
  if (pattern.word_end && internal::IsWordAt(view, vend)) {
    // Plurals and possessives: "STIs", "mammograms", "Crohn's" (apostrophes
    // are already gone from the view), "abscesses".
    if (view[vend] == 's' && !internal::IsWordAt(view, vend + 1)) {
      vend += 1;
    } else if (view.substr(vend, 2) == "es" && !internal::IsWordAt(view, vend + 2) && TakesEsPlural(view, vend)) {
      vend += 2;
    } else {
      return;
    }
  }
  for (uint32_t m = 0; m < pattern.meta_count; ++m) {
    const TermMeta& meta = metas_[pattern.first_meta + m];
    switch (meta.kind) {
      case TermKind::kAllow:
        ws->allows.emplace_back(vstart, vend);
        break;
      case TermKind::kLabAnalyte: {
        const size_t value_end = internal::LabValueEnd(view, vend, meta.value_only);
        if (value_end != std::string_view::npos) {
          ws->view_candidates.push_back(
              {vstart, static_cast<uint32_t>(value_end), Category::kLabResult, Severity::kBlock, meta.acronym_only});
        }
        if (!meta.value_only) {
          ws->view_candidates.push_back({vstart, vend, meta.category, meta.severity, meta.acronym_only});
        }
        break;
      }
      case TermKind::kTerm:
        ws->view_candidates.push_back({vstart, vend, meta.category, meta.severity, meta.acronym_only});
        break;
    }
  }
}

void Scanner::Impl::CollectCode(const Hit& hit, Workspace* ws) const {
  const std::string_view view = ws->view.text;
  const CodeRule rule = kCodePatterns[hit.id - kRegexIdBase].rule;
  if (rule == CodeRule::kIcdStandalone) {
    if (!internal::CodeIsStandalone(view, hit.from, hit.to)) return;
  } else if (!internal::CodeIsStandalone(view, hit.to, hit.to)) {
    return;
  }
  ws->view_candidates.push_back({hit.from, hit.to, Category::kCode, Severity::kBlock, false});
}

bool Scanner::Impl::ScanChunk(std::string_view source, size_t begin, size_t end, size_t accept_from, size_t accept_to,
                              Workspace* ws) const {
  const std::string_view chunk = source.substr(begin, end - begin);
  internal::BuildMatchView(chunk, &ws->view);
  const std::string& text = ws->view.text;
  ws->hits.clear();
  MatchContext context{&ws->hits};
  const auto length = static_cast<unsigned int>(text.size());
  if (hs_scan(literal_db_, text.data(), length, 0, ws->scratch, OnMatch, &context) != HS_SUCCESS) return false;
  if (hs_scan(code_db_, text.data(), length, 0, ws->scratch, OnMatch, &context) != HS_SUCCESS) return false;
  if (context.failed) return false;
  if (ws->hits.empty()) return true;

  const bool left_is_word = internal::IsWordBefore(source, begin);
  ws->view_candidates.clear();
  ws->allows.clear();
  for (const Hit& hit : ws->hits) {
    if (hit.id >= kRegexIdBase) {
      CollectCode(hit, ws);
    } else {
      CollectLiteral(hit, left_is_word, ws);
    }
  }

  for (const ViewCandidate& vc : ws->view_candidates) {
    bool allowed = false;
    for (const auto& [astart, aend] : ws->allows) {
      if (astart <= vc.vstart && vc.vend <= aend) {
        allowed = true;
        break;
      }
    }
    if (allowed) continue;
    const size_t start = begin + ws->view.origin[vc.vstart];
    const size_t stop = begin + internal::SourceEnd(chunk, ws->view, vc.vend);
    if (start < accept_from || start >= accept_to) continue;
    const std::string_view span = source.substr(start, stop - start);
    if (vc.acronym_only && internal::CountUppercase(span) < 2) continue;
    // The system dictionary is full of eponyms and Latin words that double as
    // names ("Quintana", "Delphine"): its words count only in lower case or
    // all capitals, never Capitalised.
    if (vc.category == Category::kMedicalTerm && internal::IsCapitalisedWord(span)) continue;
    if (SurnameCanHide(vc.category) && text.find(' ', vc.vstart) >= vc.vend &&
        internal::IsSurnameAfterTitle(source, start, stop, titles_)) {
      continue;
    }
    ws->candidates.push_back({start, stop, vc.category, vc.severity});
  }
  return true;
}

std::vector<Finding> Scanner::Impl::Finalize(std::string_view source, std::vector<Candidate>* candidates) {
  std::vector<Finding> findings;
  if (candidates->empty()) return findings;
  std::sort(candidates->begin(), candidates->end(), [](const Candidate& a, const Candidate& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.end != b.end) return a.end > b.end;
    if (a.severity != b.severity) return a.severity == Severity::kBlock;
    return CategoryRank(a.category) < CategoryRank(b.category);
  });
  // Sorted by start, longest first: a candidate is nested in an earlier one
  // exactly when an earlier one ends at or after it.
  size_t max_end_any = 0;
  size_t max_end_block = 0;
  bool any = false;
  bool any_block = false;
  for (const Candidate& c : *candidates) {
    const bool nested =
        c.severity == Severity::kBlock ? (any_block && max_end_block >= c.end) : (any && max_end_any >= c.end);
    if (nested) continue;
    any = true;
    max_end_any = std::max(max_end_any, c.end);
    if (c.severity == Severity::kBlock) {
      any_block = true;
      max_end_block = std::max(max_end_block, c.end);
    }
    Finding f;
    f.category = std::string(internal::CategoryName(c.category));
    f.match = std::string(source.substr(c.start, c.end - c.start));
    f.start = c.start;
    f.end = c.end;
    f.severity = c.severity;
    findings.push_back(std::move(f));
  }
  return findings;
}

std::vector<Finding> Scanner::Impl::FailClosed(std::string_view source) {
  try {
    std::vector<Finding> findings(1);
    findings[0].category = std::string(internal::CategoryName(Category::kScannerError));
    findings[0].match = std::string(source);
    findings[0].start = 0;
    findings[0].end = source.size();
    findings[0].severity = Severity::kBlock;
    return findings;
  } catch (...) {
    std::vector<Finding> none;
    return none;  // cannot even report; callers treat allocation failure as fatal elsewhere
  }
}

std::vector<Finding> Scanner::Impl::Scan(std::string_view source) const {
  try {
    std::unique_ptr<Workspace> ws = Acquire();
    if (ws == nullptr) return FailClosed(source);
    ws->candidates.clear();
    bool ok = true;
    if (source.size() <= kChunkBytes) {
      ok = ScanChunk(source, 0, source.size(), 0, std::numeric_limits<size_t>::max(), ws.get());
    } else {
      size_t begin = 0;
      while (ok) {
        if (source.size() - begin <= kChunkBytes) {
          ok = ScanChunk(source, begin, source.size(), begin, std::numeric_limits<size_t>::max(), ws.get());
          break;
        }
        size_t end = begin + kChunkBytes;
        while (end > begin && (static_cast<uint8_t>(source[end]) & 0xC0) == 0x80) --end;
        // The next chunk starts just after a white space in the overlap, so
        // its first word begins a word; findings are owned by the chunk they
        // start in.
        const size_t lo = end - kOverlapBytes;
        const size_t hi = end - kOverlapBytes / 2;
        size_t next = 0;
        for (size_t p = hi; p > lo; --p) {
          if (IsAsciiSpace(source[p - 1])) {
            next = p;
            break;
          }
        }
        if (next == 0) {
          next = lo;
          while (next < hi && (static_cast<uint8_t>(source[next]) & 0xC0) == 0x80) ++next;
        }
        ok = ScanChunk(source, begin, end, begin, next, ws.get());
        begin = next;
      }
    }
    if (!ok) return FailClosed(source);
    std::vector<Finding> findings = Finalize(source, &ws->candidates);
    Release(std::move(ws));
    return findings;
  } catch (...) {  // allocation failure: fail closed rather than pass the text
    return FailClosed(source);
  }
}

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scanner::~Scanner() = default;

StatusOr<std::unique_ptr<Scanner>> Scanner::Create(const ScannerOptions& options) {
  try {
    auto impl = std::make_unique<Impl>();
    RETURN_IF_ERROR(impl->Build(options));
    return std::unique_ptr<Scanner>(new Scanner(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("out of memory while building the scanner");
  } catch (...) {
    return InternalError("unexpected error while building the scanner");
  }
}

std::vector<Finding> Scanner::Scan(std::string_view utf8) const { return impl_->Scan(utf8); }

size_t Scanner::vocabulary_size() const { return impl_->vocabulary_size(); }

bool Scanner::uses_system_medical_dictionary() const { return impl_->uses_system_dictionary(); }

}  // namespace recall::scanner
