#pragma once
// The clinical-content scanner: the "found phone test" as code.
//
// A message passes when a stranger who read the patient's phone (or heard the
// voicemail) could learn nothing medical from it. Scanner::Scan looks for what
// would fail that test: diagnoses and conditions, medication names (generic
// and brand), procedures and tests, lab values and results ("A1C of 9.2",
// "tested positive"), ICD-10 and CPT codes, and services or specialties whose
// name reveals the kind of care (HIV, STI, substance use, psychiatry,
// oncology, fertility, ...). It runs on templates when they are authored and
// on every rendered message before it is queued, and it works on any string:
// a practice called "Downtown HIV Clinic" or a provider field "Dr. Lee,
// Oncology" is itself a finding.
//
// Matching survives case changes, full-width and compatibility forms (NFKC
// case folding), zero-width and other default-ignorable characters,
// punctuation inside words ("H.I.V.", "h-i-v", "Crohn's"), runs of white space
// and line breaks, and plurals and possessives ("STIs", "mammograms"). It
// matches whole words only ("hiv" never fires inside "archive", nor "std"
// inside "standard"), and a capitalised word after a title ("Dr. Burns",
// "Ms. Gallstone") is read as a surname.
//
// The vocabulary is data: the curated lists in data/scanner/*.txt (format and
// sources in data/scanner/README.md), joined when installed by the words of
// the system's hunspell medical dictionary (warn-only evidence). Create()
// compiles all of it into Hyperscan databases.
//
// Ownership and thread-safety: a Scanner is immutable after Create() and owns
// its compiled databases. Scan() is const and safe to call from any number of
// threads at once; each call borrows Hyperscan scratch space and buffers from
// a small pool inside the Scanner, so steady-state calls allocate only for the
// findings they return (none for a clean message). Create() is expensive
// (about 20 ms for the curated lists, about a second more with the system
// dictionary): build one Scanner at start-up and share it.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace recall::scanner {

// block: clear clinical content; the message must not be sent as is.
// warn:  a weaker signal ("prescription", "dermatology", "flu shot"); a human
//        decides when the template is authored.
enum class Severity { kWarn, kBlock };

// "warn" / "block".
std::string_view SeverityName(Severity severity);

// The categories a finding can carry.
inline constexpr std::string_view kDiagnosis = "diagnosis";
inline constexpr std::string_view kMedication = "medication";
inline constexpr std::string_view kProcedure = "procedure";   // procedures, tests, imaging
inline constexpr std::string_view kLabResult = "lab_result";  // values and stated results
inline constexpr std::string_view kCode = "code";             // ICD-10 and CPT/HCPCS codes
inline constexpr std::string_view kSensitiveService = "sensitive_service";
inline constexpr std::string_view kMedicalTerm = "medical_term";    // system dictionary (warn only)
inline constexpr std::string_view kScannerError = "scanner_error";  // the scan itself failed (block)

// A finding quotes the message, so it is PHI: show it to the template author,
// never log `match` (log category, severity and offsets).
struct Finding {
  std::string category;  // one of the k* names above
  std::string match;     // the matched bytes of the input, exactly as given
  size_t start = 0;      // byte offsets of the match in the ORIGINAL input:
  size_t end = 0;        //   match == input.substr(start, end - start)
  Severity severity = Severity::kBlock;
};

// True when any finding has severity block.
bool HasBlocking(const std::vector<Finding>& findings);

// Whether to add the words of Debian's hunspell medical dictionary
// (hunspell-en-med, with hunspell-en-us to filter out everyday English) as
// warn-only evidence, category medical_term. They are read at run time from
// the installed packages, never copied into the repository. See
// data/scanner/README.md for what is filtered out and the measurements behind
// the default.
enum class SystemDictionary {
  kOff,          // curated lists only
  kIfInstalled,  // load when both dictionaries are installed, else curated only
  kRequired,     // load; Create fails with FailedPrecondition when missing
};

struct ScannerOptions {
  // Folder holding the vocabulary files (diagnoses.txt, medications.txt, ...).
  // Default (empty): DefaultDataDir().
  std::string data_dir;

  // Default: kIfInstalled. Costs about one second in Create() and about 10%
  // of scan throughput.
  SystemDictionary system_medical_dictionary = SystemDictionary::kIfInstalled;
  // Where those dictionaries live. Defaults: the Debian paths. The English
  // dictionary's affix file is the same path ending in .aff.
  std::string system_medical_dictionary_path = "/usr/share/hunspell/en_med_glut.dic";
  std::string system_english_dictionary_path = "/usr/share/hunspell/en_US.dic";
};

class Scanner {
 public:
  // Loads and compiles the vocabulary.
  //   NotFound            data_dir or one of its vocabulary files is missing.
  //   InvalidArgument     a vocabulary file is malformed (the message names the
  //                       file and line: unknown section, invalid UTF-8, a term
  //                       that folds to nothing or is longer than 96 bytes).
  //   FailedPrecondition  system_medical_dictionary is kRequired but the hunspell
  //                       dictionaries are not installed.
  //   ResourceExhausted   out of memory.
  //   Internal            Hyperscan failed to compile the database or allocate
  //                       scratch space; a dictionary file could not be read.
  static StatusOr<std::unique_ptr<Scanner>> Create(const ScannerOptions& options);

  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Scans UTF-8 text (invalid sequences are treated as U+FFFD and never fail).
  // Returns the findings ordered by start offset; empty when the text passes.
  // A finding nested inside another of at least the same severity is dropped
  // ("HIV test" is one finding, not two). Thread-safe. It fails closed: if the
  // scan cannot complete (out of memory, a Hyperscan error) the result is one
  // block finding of category scanner_error spanning the whole input, so a
  // caller gating on HasBlocking() never sends an unscanned message.
  std::vector<Finding> Scan(std::string_view utf8) const;

  // Number of distinct vocabulary entries compiled (for logs and tests).
  size_t vocabulary_size() const;

  // True when the hunspell medical dictionary was loaded (for start-up logs:
  // with kIfInstalled it is skipped silently when not installed).
  bool uses_system_medical_dictionary() const;

  class Impl;

 private:
  explicit Scanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Locates data/scanner: $RECALL_DATA_FILES/scanner when that variable is set,
// else <source dir>/data/scanner when that folder exists (baked in at compile
// time), else /usr/share/recall/scanner.
std::string DefaultDataDir();

}  // namespace recall::scanner
