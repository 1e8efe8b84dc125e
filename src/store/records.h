#pragma once
// The store's vocabulary: rows as the domain sees them. PHI fields arrive here
// already encrypted (suffix `_enc`, AES-256-GCM under the practice's field key)
// or as blind indexes (suffix `_index`); the store never sees plaintext PHI.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace recall::store {

struct PracticeRow {
  std::string practice_id;
  std::string name;
  std::string address;     // postal address (CAN-SPAM)
  std::string phone;       // E.164
  std::string email_from;  // sender identity, e.g. "Maple Dental <office@mapledental.example>"
  std::string timezone;    // IANA, e.g. "America/Chicago"
  std::string state;       // US state, two letters
  std::string created_at;  // RFC 3339
};

struct BaaRow {
  std::string practice_id;
  std::string baa_id;
  std::string signed_by;
  std::string signed_on;        // YYYY-MM-DD
  std::string document_sha256;  // hex
  int breach_notice_hours = 72;
  std::string recorded_at;
};

// The minimum-necessary contact record, as stored. Nothing else is ever stored.
struct PatientRow {
  std::string practice_id;
  std::string patient_id;       // Recall's opaque id, "pat_..."
  std::string external_index;   // blind index of the practice's patient id (unique per practice)
  std::string subject;          // audit pseudonym, "sub_..."
  std::string external_id_enc;  // practice's patient id
  std::string first_name_enc;
  std::string last_name_enc;
  std::string email_enc;        // "" when none
  std::string email_index;      // "" when none
  std::string phone_enc;        // E.164; "" when none
  std::string phone_index;      // "" when none
  std::string phone_line_type;  // "mobile" | "landline" | "unknown"
  std::string language;         // BCP-47
  std::string last_visit;       // YYYY-MM-DD or ""
  std::string status;           // "active" | "inactive" | "lapsed"
  std::string provider_name;
  std::string postal_code_enc;  // "" when none
  std::string state;            // two letters or ""
  std::string updated_at;
};

struct PageRequest {
  std::string after;  // opaque cursor from the previous page; "" for the first
  int limit = 100;
};

template <typename Row>
struct Page {
  std::vector<Row> rows;
  std::string next;  // "" when this is the last page
};

enum class UpsertOutcome { kInserted, kUpdated };

}  // namespace recall::store
