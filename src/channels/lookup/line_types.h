#pragma once
// RefreshLineTypes: fills in the phone line type of patients whose type is
// "unknown" with a carrier lookup (line_type_lookup.h).
//
// It lives with the lookup client, not in src/patients/, because patients must
// not depend on channels.
//
// The lookup vendor receives phone numbers, so it is a subprocessor: the
// refresh refuses to run unless the practice has an active vendor with a BAA
// for channel "lookup" (vendors::RequireVendorBaa). Each result is recorded
// with PatientStore::SetLineType and audited as "patient.line_type" (subject:
// the patient's pseudonym; details: source "carrier_lookup", line_type,
// lookup = the client's name) in the same transaction. No phone number
// appears in an error, an audit detail or the report.
//
// Numbers the provider does not know (NotFound) or refuses as malformed
// (InvalidArgument) count as "unknown" and are not recorded. A number that
// stays "unknown" is looked up again by the next refresh; `limit` bounds how
// many lookups (and vendor charges) one refresh makes.
#include <string>

#include "channels/lookup/line_type_lookup.h"
#include "common/status.h"
#include "engine/engine.h"

namespace recall::channels {

struct LineTypeRefreshReport {
  int looked_up = 0;  // numbers sent to the lookup
  int mobile = 0;
  int landline = 0;
  int unknown = 0;    // including not found / refused
};

// Looks up at most `limit` (1..100000) patients of `practice_id` with a phone
// and phone_line_type "unknown", in patient id order.
//   InvalidArgument     limit out of range.
//   NotFound            unknown practice (no data key).
//   FailedPrecondition  no active "lookup" vendor with a BAA; or the lookup
//                       refused its credentials.
//   Unavailable         the lookup failed transiently; the results recorded
//                       before the failure stay recorded.
//   Errors of the store and the key hierarchy otherwise.
StatusOr<LineTypeRefreshReport> RefreshLineTypes(engine::Engine& engine, LineTypeLookup& lookup,
                                                 const std::string& practice_id, int limit);

}  // namespace recall::channels
