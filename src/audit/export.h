#pragma once
// Audit export formats (docs/audit-format.md, "Export"): records as stored
// (pseudonymous ids only, never PHI) as JSON Lines, and as FHIR R4 AuditEvent
// resources in a Bundle of type "collection".
//
// Pure functions; thread-safe.
#include <string>

#include <nlohmann/json.hpp>

#include "audit/audit.h"

namespace recall::audit {

// One JSON Lines object: seq, time, actor, action, practice_id, subject,
// details (the stored canonical JSON, parsed), prev_hash, hash.
nlohmann::json RecordToJson(const AuditRecord& record);

// A FHIR R4 AuditEvent for the record: type (DICOM), subtype (the Recall
// action), action (C/R/U/D/E), recorded (time), outcome, agent (the actor),
// source (site = practice id, observer = Recall), entity (the subject
// pseudonym, the practice; details and the record hash as entity details).
nlohmann::json RecordToFhirAuditEvent(const AuditRecord& record);

// A Bundle is written streaming: prefix, entries joined by ",", suffix.
std::string FhirBundlePrefix();
std::string FhirBundleEntry(const AuditRecord& record);
std::string FhirBundleSuffix();

}  // namespace recall::audit
