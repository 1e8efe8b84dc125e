#pragma once
// Synthetic patient exports for demos, tests and benchmarks. Never real data:
// names come from short invented lists, phones are in the 555-01xx range the
// North American Numbering Plan reserves for fiction, emails use the reserved
// example.com/.net/.org domains.
#include <cstdint>
#include <ostream>

namespace recall::patients {

struct SyntheticOptions {
  int64_t rows = 1000;
  uint64_t seed = 1;
  // Adds the clinical columns a real EHR export carries (DOB, Diagnosis, SSN,
  // Insurance, Notes) so the importer has something to drop.
  bool with_clinical_columns = true;
  // Adds "SMS Consent" and "Email Consent" columns (Y for about 3 in 4 rows
  // that have the contact, N for some, blank otherwise), as practices attest
  // consent in their exports.
  bool with_consent_columns = false;
};

// Writes a CSV with a header row (RFC 4180, CRLF line ends).
void WriteSyntheticCsv(std::ostream& out, const SyntheticOptions& options);

}  // namespace recall::patients
