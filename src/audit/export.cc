#include "audit/export.h"

#include <string_view>

namespace recall::audit {

using nlohmann::json;

namespace {

constexpr std::string_view kDicom = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr std::string_view kSourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";
// Recall's own identifier systems (URNs: not resolvable, not hosts).
constexpr std::string_view kActionSystem = "urn:recall:audit-action";
constexpr std::string_view kActorSystem = "urn:recall:actor";
constexpr std::string_view kSubjectSystem = "urn:recall:subject";
constexpr std::string_view kPracticeSystem = "urn:recall:practice";
constexpr std::string_view kRecordSystem = "urn:recall:audit-record";

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
std::string_view Verb(std::string_view action) {
  const size_t dot = action.rfind('.');
  return dot == std::string_view::npos ? action : action.substr(dot + 1);
}

// FHIR AuditEvent.action: C create, R read, U update, D delete, E execute.
std::string ActionCode(std::string_view action) {
  const std::string_view verb = Verb(action);
  for (std::string_view v : {"view", "list", "reveal", "export", "preview"}) {
    if (StartsWith(verb, v)) return "R";
  }
  for (std::string_view v : {"create", "add", "import", "enqueue", "record", "grant", "init"}) {
    if (StartsWith(verb, v) || EndsWith(verb, v)) return "C";
  }
  for (std::string_view v : {"delete", "purge", "shred", "destroy", "offboard"}) {
    if (StartsWith(verb, v)) return "D";
  }
  for (std::string_view v : {"edit", "settings", "approve", "submit", "advance", "deactivate", "revert", "revoke"}) {
    if (StartsWith(verb, v)) return "U";
  }
  return "E";
}

json TypeCoding(std::string_view action) {
  if (action == "audit.export" || EndsWith(action, ".export")) {
    return {{"system", kDicom}, {"code", "110106"}, {"display", "Export"}};
  }
  if (StartsWith(action, "patient.") || StartsWith(action, "consent.")) {
    return {{"system", kDicom}, {"code", "110110"}, {"display", "Patient Record"}};
  }
  return {{"system", kDicom}, {"code", "110100"}, {"display", "Application Activity"}};
}

}  // namespace

json RecordToJson(const AuditRecord& r) {
  json details = json::parse(r.details_json, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded()) details = r.details_json;  // as stored, should it not parse
  return {{"seq", r.seq},         {"time", r.time},       {"actor", r.actor},
          {"action", r.action},   {"practice_id", r.practice_id}, {"subject", r.subject},
          {"details", details},   {"prev_hash", r.prev_hash},     {"hash", r.hash}};
}

json RecordToFhirAuditEvent(const AuditRecord& r) {
  json ev = {{"resourceType", "AuditEvent"},
             {"id", "recall-audit-" + std::to_string(r.seq)},
             {"type", TypeCoding(r.action)},
             {"subtype", json::array({{{"system", kActionSystem}, {"code", r.action}}})},
             {"action", ActionCode(r.action)},
             {"recorded", r.time},
             // 0 success; 4 minor failure (a message that could not be sent).
             {"outcome", EndsWith(r.action, ".failed") ? "4" : "0"}};
  json who = {{"identifier", {{"system", kActorSystem}, {"value", r.actor}}}, {"display", r.actor}};
  json agent = {{"who", who}, {"requestor", true}};
  ev["agent"] = json::array({agent});
  json source = {{"observer", {{"display", "Recall"}}},
                 {"type", json::array({{{"system", kSourceType}, {"code", "4"}, {"display", "Application Server"}}})}};
  if (!r.practice_id.empty()) source["site"] = r.practice_id;
  ev["source"] = source;
  auto entity = [](std::string_view system, const std::string& value, std::string_view code,
                   std::string_view display) {
    json what = {{"identifier", {{"system", system}, {"value", value}}}};
    return json{{"what", what}, {"type", {{"system", kEntityType}, {"code", code}, {"display", display}}}};
  };
  json entities = json::array();
  if (!r.subject.empty()) {
    const bool person = StartsWith(r.subject, "sub_");
    entities.push_back(entity(kSubjectSystem, r.subject, person ? "1" : "2", person ? "Person" : "System Object"));
  }
  if (!r.practice_id.empty()) entities.push_back(entity(kPracticeSystem, r.practice_id, "3", "Organization"));
  // The record itself: its seq, hash and (non-PHI) details, so the export can
  // be checked against the chain.
  json record = entity(kRecordSystem, std::to_string(r.seq), "2", "System Object");
  json detail = json::array();
  detail.push_back({{"type", "details"}, {"valueString", r.details_json}});
  detail.push_back({{"type", "hash"}, {"valueString", r.hash}});
  detail.push_back({{"type", "prev_hash"}, {"valueString", r.prev_hash}});
  record["detail"] = detail;
  entities.push_back(record);
  ev["entity"] = entities;
  return ev;
}

std::string FhirBundlePrefix() { return R"({"resourceType":"Bundle","type":"collection","entry":[)"; }

std::string FhirBundleEntry(const AuditRecord& record) {
  json entry = json::object();
  entry["resource"] = RecordToFhirAuditEvent(record);
  return entry.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FhirBundleSuffix() { return "]}\n"; }

}  // namespace recall::audit
