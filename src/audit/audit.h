#pragma once
// The audit log's record, its canonical encoding and the chain verifier.
//
// Every touchpoint and every PHI access becomes one AuditRecord. Records form a
// hash chain: each holds the SHA-256 of the previous record, and its own hash is
// the SHA-256 of its canonical encoding (docs/audit-format.md). Records never
// hold PHI: the subject is a keyed pseudonym ("sub_...") or an opaque id, and
// details are checked by CheckDetails before they are accepted.
//
// This folder knows nothing of storage: the Store appends records (assigning
// sequence and chaining inside its own transaction, with SealRecord) and feeds
// them back to a ChainVerifier. Everything here is pure and thread-compatible.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "common/clock.h"
#include "common/status.h"

namespace recall::audit {

using DetailValue = std::variant<std::string, int64_t, bool>;
using Details = std::map<std::string, DetailValue>;

// What a caller asks to be logged.
struct AuditEvent {
  TimePoint time;
  std::string actor;        // "cli:alice", "user:usr_...", "system:worker"
  std::string action;       // dotted verb, e.g. "patient.import", "patient.reveal"
  std::string practice_id;  // "" for installation-wide events
  std::string subject;      // pseudonym "sub_..." or an opaque id; "" when none
  Details details;          // non-PHI facts: counts, ids, reason codes
};

// A stored, chained record.
struct AuditRecord {
  int64_t seq = 0;
  std::string time;          // RFC 3339 UTC, milliseconds
  std::string actor;
  std::string action;
  std::string practice_id;
  std::string subject;
  std::string details_json;  // canonical JSON (sorted keys, no spaces)
  std::string prev_hash;     // 64 hex; 64 zeros for the first record
  std::string hash;          // 64 hex: SHA-256 of CanonicalEncoding()
};

inline const std::string kGenesisHash(64, '0');

// InvalidArgument when a detail value looks like PHI (an email address, a run of
// seven or more digits, control characters) or a field is malformed.
Status CheckEvent(const AuditEvent& event);

// Canonical JSON for details: keys sorted, no whitespace.
std::string DetailsToJson(const Details& details);

// The bytes hashed for a record (all fields but `hash`); see docs/audit-format.md.
std::string CanonicalEncoding(const AuditRecord& record);
std::string ComputeHash(const AuditRecord& record);

// Builds the next record of the chain. The Store calls this inside the
// transaction that holds the previous record's seq and hash.
AuditRecord SealRecord(const AuditEvent& event, int64_t seq, const std::string& prev_hash);

// Feed records in sequence order; the first break is remembered.
class ChainVerifier {
 public:
  // Returns false once a break has been found (callers may stop scanning).
  bool Feed(const AuditRecord& record);
  bool ok() const { return !first_bad_seq_.has_value(); }
  int64_t records() const { return records_; }
  std::optional<int64_t> first_bad_seq() const { return first_bad_seq_; }
  const std::string& reason() const { return reason_; }  // "hash mismatch", "sequence gap", ...
  const std::string& head_hash() const { return last_hash_; }

 private:
  int64_t records_ = 0;
  int64_t expected_seq_ = 1;
  std::string last_hash_ = kGenesisHash;
  std::optional<int64_t> first_bad_seq_;
  std::string reason_;
};

}  // namespace recall::audit
