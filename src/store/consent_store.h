#pragma once
// ConsentStore: the consent vault's persistence (see store/store.h for the rules
// every sub-store keeps). It keeps three things per practice:
//
//   - consent records: an append-only history of grants and revocations, one
//     row per event, ordered by a store-assigned sequence. The current state is
//     derived from history by the caller (src/consent/); the store never
//     updates or deletes a record. PHI in a record (the contact it applies to,
//     the IP address, the user agent, the evidence text) arrives encrypted
//     (`_enc`) and, for the contact, with a blind index (`contact_index`).
//   - consent language: the practice's consent wording, versioned; each record
//     names the version it was given under.
//   - reassigned numbers: phone blind indexes with the date they were
//     permanently disconnected (FCC Reassigned Numbers Database answers). Only
//     the blind index is stored, never the number.
//
// Every method is scoped by practice id. Methods that change data take the
// audit events that describe the change and commit both in one transaction.
//
// Thread-safety: as Store (writes serialised by the backend).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/status.h"
#include "store/run_store.h"

namespace recall::store {

// One consent event as stored.
struct ConsentRecordRow {
  int64_t seq = 0;               // assigned by the store on append; increases with every record
  std::string practice_id;
  std::string consent_id;        // "cns_..." opaque, unique per practice
  std::string patient_id;        // "pat_..."; "" for an address-level record (a STOP from an unknown number)
  std::string kind;              // "grant" | "revoke"
  std::string channel;           // "sms" | "email" | "voice" | "rvm" | "portal" | "all"
  std::string purpose;           // "care" | "outreach" | "all"
  std::string source;            // "intake_form", "practice_import", "keyword_reply", "staff_verbal", ...
  std::string captured_at;       // RFC 3339 UTC
  std::string captured_by;       // actor, e.g. "cli:alice"
  std::string contact_enc;       // the exact phone / email it applies to; "" when none
  std::string contact_index;     // blind index of that contact ("phone" / "email" kind); "" when none
  std::string ip_enc;            // "" when unknown
  std::string user_agent_enc;    // "" when unknown
  std::string evidence_enc;      // operator-provided evidence text; "" when none
  std::string language_version;  // "clv_..." the wording shown; "" when none
  std::string language_sha256;   // hex SHA-256 of that wording; "" when none
  std::optional<bool> risk_acknowledged;  // unsecured channels: did the patient accept the risk
};

// One version of a practice's consent wording for a channel. Not PHI.
struct ConsentLanguageRow {
  std::string practice_id;
  std::string version_id;  // "clv_..."
  std::string channel;     // as ConsentRecordRow::channel (not "all")
  std::string text;
  std::string sha256;      // hex of `text`
  std::string created_at;
  std::string created_by;
};

// A number the FCC Reassigned Numbers Database reports as permanently
// disconnected.
struct ReassignedNumberRow {
  std::string practice_id;
  std::string phone_index;      // blind index ("phone" kind) of the E.164 number
  std::string disconnected_on;  // YYYY-MM-DD
  std::string imported_at;
};

class ConsentStore {
 public:
  virtual ~ConsentStore() = default;

  // Appends `records` (all of `practice_id`) and `events` in one transaction;
  // sets nothing on the inputs (read back with History). InvalidArgument when a
  // record belongs to another practice or an event carries PHI-looking details;
  // NotFound when a record names a patient the practice does not have;
  // AlreadyExists on a duplicate consent_id. Nothing is written on error.
  Status Append(const std::string& practice_id, const std::vector<ConsentRecordRow>& records,
                const std::vector<audit::AuditEvent>& events) {
    return Append(practice_id, records, {}, events);
  }
  // The same, with the inbound events (store/run_store.h) of the message that
  // caused the records: an inbound STOP's revocations, its inbound events and
  // every audit record commit in one transaction. AlreadyExists on a
  // duplicate event id.
  virtual Status Append(const std::string& practice_id, const std::vector<ConsentRecordRow>& records,
                        const std::vector<InboundEventRow>& inbound, const std::vector<audit::AuditEvent>& events) = 0;

  // The patient's records in sequence order (oldest first). Empty when none.
  virtual StatusOr<std::vector<ConsentRecordRow>> History(const std::string& practice_id,
                                                          const std::string& patient_id) = 0;

  // Every record of the practice ordered by (patient_id, seq) — address-level
  // records (patient_id "") first — until `visit` returns false (the
  // planner's single pass; the store lock is held, so `visit` must not call
  // back into the store).
  virtual Status ScanHistories(const std::string& practice_id,
                               const std::function<bool(const ConsentRecordRow&)>& visit) = 0;
  // Address-level records (patient_id "") for one contact blind index, in
  // sequence order.
  virtual StatusOr<std::vector<ConsentRecordRow>> AddressHistory(const std::string& practice_id,
                                                                 const std::string& contact_index) = 0;

  // Stores a new wording version and its audit event. AlreadyExists on a
  // duplicate version id.
  virtual Status AddLanguage(const ConsentLanguageRow& row, const audit::AuditEvent& event) = 0;
  // The newest version for a channel, or nullopt.
  virtual StatusOr<std::optional<ConsentLanguageRow>> CurrentLanguage(const std::string& practice_id,
                                                                      const std::string& channel) = 0;
  // NotFound for an unknown version.
  virtual StatusOr<ConsentLanguageRow> GetLanguage(const std::string& practice_id, const std::string& version_id) = 0;
  // Every version of the practice's wording, newest first (per channel, the
  // first is the current one).
  virtual StatusOr<std::vector<ConsentLanguageRow>> ListLanguages(const std::string& practice_id) = 0;

  // Inserts the numbers (keeping the latest disconnect date when a number is
  // already known) and the audit event, in one transaction.
  virtual Status ImportReassigned(const std::string& practice_id, const std::vector<ReassignedNumberRow>& rows,
                                  const audit::AuditEvent& event) = 0;
  // Every known reassigned number of the practice (the planner loads them once).
  virtual StatusOr<std::vector<ReassignedNumberRow>> ListReassigned(const std::string& practice_id) = 0;
  // The latest known disconnect date (YYYY-MM-DD) of a number, or nullopt.
  virtual StatusOr<std::optional<std::string>> DisconnectedOn(const std::string& practice_id,
                                                              const std::string& phone_index) = 0;
};

}  // namespace recall::store
