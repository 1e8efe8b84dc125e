#pragma once
// The vendor / subprocessor registry and the vendor-BAA gate.
//
// Every third party that touches a practice's PHI is registered per practice:
// its name, the channel it serves (email, sms, voice, rvm, portal, or hosting
// for non-channel subprocessors), its kind, and the date and document hash of
// its Business Associate Agreement. `recall vendor list` answers what the
// practice's own BAA entitles it to ask: which subprocessors touch its PHI,
// under which BAA. RequireVendorBaa is the gate dispatch calls before sending
// through a channel: no active vendor with a BAA, no send.
//
// Vendor rows hold no PHI. Every change is audited (vendor.add,
// vendor.baa_record, vendor.deactivate) in the same transaction as the change.
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "store/vendor_store.h"

namespace recall::vendors {

// True for "email", "sms", "voice", "rvm", "lookup" (carrier line-type lookup),
// "portal", "hosting".
bool IsVendorChannel(const std::string& channel);

struct NewVendor {
  std::string practice_id;
  std::string name;
  std::string channel;        // see IsVendorChannel
  std::string kind;           // "channel_provider" | "subprocessor"; "" -> subprocessor for
                              // "hosting", channel_provider otherwise
  std::string baa_signed_on;  // YYYY-MM-DD; "" when no BAA yet (then baa_document_path is "" too)
  std::string baa_document_path;  // the signed BAA; its SHA-256 is recorded, not its content
};

// Validates and adds the vendor. NotFound for an unknown practice;
// InvalidArgument for an empty or over-long name, an unknown channel or kind,
// a bad date, or a BAA date without a document (or the reverse). Audited.
StatusOr<store::VendorRow> AddVendor(engine::Engine& engine, const NewVendor& input);

struct NewVendorBaa {
  std::string practice_id;
  std::string vendor_id;
  std::string signed_on;      // YYYY-MM-DD
  std::string document_path;  // the signed document; its SHA-256 is recorded
};

// Records (or replaces) the vendor's BAA. NotFound for an unknown practice or a
// vendor of another practice; InvalidArgument for a bad date or an unreadable
// or empty document. Audited. Returns the updated row.
StatusOr<store::VendorRow> RecordVendorBaa(engine::Engine& engine, const NewVendorBaa& input);

// The practice's vendors, active and inactive. NotFound for an unknown practice.
StatusOr<std::vector<store::VendorRow>> ListVendors(engine::Engine& engine, const std::string& practice_id);

// Retires a vendor: it no longer satisfies RequireVendorBaa. NotFound;
// FailedPrecondition when already inactive. Audited.
Status DeactivateVendor(engine::Engine& engine, const std::string& practice_id, const std::string& vendor_id);

// OK only when the practice has an active vendor for `channel` with a recorded
// BAA. Otherwise FailedPrecondition naming the channel (do not retry until a
// vendor BAA is recorded); InvalidArgument for an unknown channel. No PHI in
// the message.
Status RequireVendorBaa(engine::Engine& engine, const std::string& practice_id, const std::string& channel);

}  // namespace recall::vendors
