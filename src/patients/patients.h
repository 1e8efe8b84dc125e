#pragma once
// Minimum-necessary patient contacts: the CSV importer and the masked / revealed
// views. Only the allow-listed fields below are ever stored; every other column
// of an export is dropped before storage and named in the import report.
//
// Allow-list: practice's patient id, first name, last name, email, phone (E.164,
// with its line type from the export's column), preferred language (BCP-47),
// last visit date, status (active / inactive / lapsed), provider name, postal
// code, state. Names, email, phone, patient id and postal code are encrypted
// field by field; phone and email get blind indexes for lookups.
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"

namespace recall::patients {

// Allow-listed fields (and the phone variants that set the line type).
enum class Field {
  kExternalId,
  kFirstName,
  kLastName,
  kEmail,
  kPhone,        // line type unknown
  kMobilePhone,  // "Cell Phone", "Mobile"
  kHomePhone,    // "Home Phone", "Landline"
  kLanguage,
  kLastVisit,
  kStatus,
  kProvider,
  kPostalCode,
  kState,
  kSmsConsent,    // consent attestation columns: handed to the consent vault
  kEmailConsent,  // (never stored as patient fields)
};

// "external_id", "first_name", ... as accepted by --map HEADER=field.
std::optional<Field> FieldFromName(std::string_view name);
// Header -> field by documented aliases, matched case- and punctuation-
// insensitively ("Patient First Name", "E-mail Address", "Last Appt Date").
std::optional<Field> FieldFromHeader(std::string_view header);

struct ImportOptions {
  // Extra header mappings: header text -> field name, or "drop".
  std::map<std::string, std::string> header_map;
  // Called about every 64 KiB of input with bytes read so far.
  std::function<void(uint64_t bytes, int64_t rows)> progress;
};

struct RejectedRow {
  int64_t line;
  std::string reason;  // never quotes the value
};

struct ImportReport {
  int64_t imported = 0;
  int64_t updated = 0;
  std::vector<RejectedRow> rejected;
  int64_t rejected_total = 0;                // rejected lists at most 100,000 rows
  std::vector<std::string> dropped_columns;  // header names, in file order
};

// Consent columns seen on an imported row, for the consent vault.
struct ImportedConsent {
  std::string external_index;  // the patient's blind index (stable across re-imports)
  std::string channel;  // "sms" | "email"
  bool granted;
};

// Imports a CSV export in one transaction. FailedPrecondition without a recorded
// BAA; InvalidArgument for a malformed file or header (store unchanged).
// Row-level problems reject the row (line and reason in the report).
// `consent_sink`, when given, receives the attested consent columns inside the
// same transaction's lifetime (the caller records them after commit).
StatusOr<ImportReport> ImportCsv(engine::Engine& engine, const std::string& practice_id, std::istream& in,
                                 const ImportOptions& options,
                                 std::vector<ImportedConsent>* consent_sink = nullptr);

// A patient as shown to an operator.
struct PatientView {
  std::string patient_id;
  std::string subject;
  std::string first_name, last_name, email, phone;  // masked unless revealed
  std::string phone_line_type, language, last_visit, status, provider_name, state;
  std::string external_id, postal_code;  // only when revealed
};

struct PatientListPage {
  std::vector<PatientView> patients;
  std::string next;
};

// Masked list (J*** D***, +1 ***-***-4321). Audited as a list access (count only).
StatusOr<PatientListPage> ListMasked(engine::Engine& engine, const std::string& practice_id,
                                     const std::string& after, int limit);

// One patient, masked. NotFound for an unknown patient. Audited as a view.
StatusOr<PatientView> ShowMasked(engine::Engine& engine, const std::string& practice_id, const std::string& patient);

// Decrypts one patient's PHI. Requires a non-empty reason free of PHI
// (InvalidArgument otherwise); NotFound for an unknown patient (by Recall id or
// the practice's own id). Audited with the reason.
StatusOr<PatientView> Reveal(engine::Engine& engine, const std::string& practice_id, const std::string& patient,
                             const std::string& reason);

}  // namespace recall::patients
