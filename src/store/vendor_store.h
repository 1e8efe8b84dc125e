#pragma once
// VendorStore: the per-practice vendor / subprocessor registry (see
// store/store.h for the rules every sub-store keeps).
//
// A vendor is a third party that touches a practice's PHI: a channel provider
// (the SMTP relay, SMS gateway, voice or RVM carrier, portal host) or another
// subprocessor (hosting, backups). Each row names the channel it serves and,
// once signed, the date and document hash of its Business Associate Agreement.
// Dispatch through a channel is refused unless an active vendor for that
// channel has a BAA on file (vendors::RequireVendorBaa). Rows hold no PHI.
//
// Every method is scoped by practice id: a call for practice A never sees or
// changes B's vendors. Methods that change data take the audit event that
// describes the change and commit both in one transaction. Vendors are never
// deleted (the registry answers "who touched our PHI, under which BAA" for
// past sends too); Deactivate retires one.
//
// Thread-safety: as Store (writes serialised by the backend).
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/status.h"

namespace recall::store {

struct VendorRow {
  std::string practice_id;
  std::string vendor_id;            // "vnd_..." opaque, unique per practice
  std::string name;                 // e.g. "Twilio", "Amazon SES"
  std::string channel;              // "email" | "sms" | "voice" | "rvm" | "portal" | "hosting"
  std::string kind;                 // "channel_provider" | "subprocessor"
  std::string baa_signed_on;        // YYYY-MM-DD; "" when no BAA is on file
  std::string baa_document_sha256;  // hex SHA-256 of the signed BAA; "" when none
  bool active = true;
  std::string created_at;           // RFC 3339 UTC
};

class VendorStore {
 public:
  virtual ~VendorStore() = default;
  // Adds a vendor (with its BAA when `row` carries one). NotFound for an
  // unknown practice; AlreadyExists for a duplicate vendor id.
  virtual Status Add(const VendorRow& row, const audit::AuditEvent& event) = 0;
  // The practice's vendors, active and inactive, in the order they were added.
  virtual StatusOr<std::vector<VendorRow>> List(const std::string& practice_id) = 0;
  // NotFound (also when the vendor belongs to another practice).
  virtual StatusOr<VendorRow> Get(const std::string& practice_id, const std::string& vendor_id) = 0;
  // Records (or replaces) the vendor's BAA date and document hash. NotFound.
  virtual Status RecordBaa(const std::string& practice_id, const std::string& vendor_id,
                           const std::string& signed_on, const std::string& document_sha256,
                           const audit::AuditEvent& event) = 0;
  // Marks the vendor inactive. NotFound; FailedPrecondition when already inactive.
  virtual Status Deactivate(const std::string& practice_id, const std::string& vendor_id,
                            const audit::AuditEvent& event) = 0;
};

}  // namespace recall::store
