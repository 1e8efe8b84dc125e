#include "channels/lookup/line_types.h"

#include <vector>

#include "store/records.h"
#include "vendors/vendors.h"

namespace recall::channels {

StatusOr<LineTypeRefreshReport> RefreshLineTypes(engine::Engine& engine, LineTypeLookup& lookup,
                                                 const std::string& practice_id, int limit) {
  if (limit < 1 || limit > 100000) return InvalidArgumentError("--limit must be between 1 and 100000");
  ASSIGN_OR_RETURN(auto keys, engine.KeysFor(practice_id));  // NotFound for an unknown practice
  // The lookup vendor receives phone numbers: no BAA, no lookup.
  RETURN_IF_ERROR(vendors::RequireVendorBaa(engine, practice_id, "lookup"));

  // Collect first: Scan holds the store lock, and SetLineType needs it.
  std::vector<store::PatientRow> candidates;
  RETURN_IF_ERROR(engine.store().patients().Scan(practice_id, [&](const store::PatientRow& row) {
    if (row.phone_line_type == "unknown" && !row.phone_enc.empty()) candidates.push_back(row);
    return static_cast<int>(candidates.size()) < limit;
  }));

  LineTypeRefreshReport report;
  for (const store::PatientRow& row : candidates) {
    // The same context patients.cc seals the phone with.
    ASSIGN_OR_RETURN(std::string phone,
                     keys->DecryptField(row.phone_enc, "patient.phone|" + row.practice_id + "|" + row.external_index));
    ++report.looked_up;
    auto line_type = lookup.Lookup(phone);
    if (!line_type.ok()) {
      const StatusCode code = line_type.status().code();
      if (code == StatusCode::kNotFound || code == StatusCode::kInvalidArgument) {
        ++report.unknown;
        continue;
      }
      return line_type.status().WithContext("line type refresh for " + row.patient_id);
    }
    if (*line_type == "mobile") {
      ++report.mobile;
    } else if (*line_type == "landline") {
      ++report.landline;
    } else {
      ++report.unknown;
    }
    RETURN_IF_ERROR(engine.store().patients().SetLineType(
        practice_id, row.patient_id, *line_type,
        engine.Event("patient.line_type", practice_id, row.subject,
                     {{"source", std::string("carrier_lookup")},
                      {"line_type", *line_type},
                      {"lookup", std::string(lookup.name())}})));
  }
  return report;
}

}  // namespace recall::channels
