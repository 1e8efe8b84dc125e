#include "incidents/incidents.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>

#include "audit/audit.h"
#include "common/text.h"

namespace recall::incidents {

namespace {

using nlohmann::json;

const std::set<std::string>& Severities() {
  static const std::set<std::string> k = {"low", "medium", "high", "critical"};
  return k;
}
const std::set<std::string>& Channels() {
  static const std::set<std::string> k = {"email", "phone", "letter", "portal", "in_person", "other"};
  return k;
}

// Operator text: required or not, one line of UTF-8, bounded, and passing the
// audit log's PHI guard (no email addresses, no runs of seven digits).
Status CheckText(std::string_view field, const std::string& value, size_t max, bool required) {
  std::string_view v = TrimAscii(value);
  if (v.empty()) {
    return required ? InvalidArgumentError(std::string(field) + " is required") : OkStatus();
  }
  if (!IsValidUtf8(v)) return InvalidArgumentError(std::string(field) + " must be UTF-8 text");
  if (v.size() > max) {
    return InvalidArgumentError(std::string(field) + " is longer than " + std::to_string(max) + " bytes");
  }
  audit::AuditEvent probe{TimePoint(), "incidents", "incident.check", "", "", {{std::string(field), std::string(v)}}};
  if (!audit::CheckEvent(probe).ok()) {
    return InvalidArgumentError(std::string(field) +
                                " looks like it contains PHI (an email address or phone number); describe it "
                                "without patient details");
  }
  return OkStatus();
}

Status CheckSeverity(const std::string& severity) {
  if (!Severities().contains(severity)) return InvalidArgumentError("severity must be low, medium, high or critical");
  return OkStatus();
}

Status CheckNotFuture(engine::Engine& engine, TimePoint t, std::string_view what) {
  if (t > engine.clock().Now()) return InvalidArgumentError(std::string(what) + " is in the future");
  return OkStatus();
}

int SeverityRank(const std::string& s) {
  if (s == "critical") return 3;
  if (s == "high") return 2;
  if (s == "medium") return 1;
  return 0;
}

// The practice's contractual hours from its latest BAA (72 without one).
StatusOr<store::IncidentPracticeRow> PracticeRow(engine::Engine& engine, const std::string& incident_id,
                                                 TimePoint discovered_at, const AffectedPractice& p) {
  if (p.affected < 0) return InvalidArgumentError("the affected count must not be negative");
  RETURN_IF_ERROR(engine.store().practices().Get(p.practice_id).status());
  ASSIGN_OR_RETURN(auto baa, engine.store().practices().LatestBaa(p.practice_id));
  store::IncidentPracticeRow row;
  row.incident_id = incident_id;
  row.practice_id = p.practice_id;
  row.affected = p.affected;
  row.breach_notice_hours =
      baa && baa->breach_notice_hours > 0 ? baa->breach_notice_hours : kDefaultBreachNoticeHours;
  row.contractual_deadline = discovered_at + std::chrono::hours(row.breach_notice_hours);
  row.regulatory_deadline = discovered_at + kRegulatoryDeadline;
  row.added_at = engine.clock().Now();
  return row;
}

store::IncidentUpdateRow UpdateRow(engine::Engine& engine, std::string kind, std::string note) {
  return {"", 0, engine.clock().Now(), engine.actor(), std::move(kind), std::move(note)};
}

StatusOr<Incident> RequireOpen(engine::Engine& engine, const std::string& incident_id) {
  if (incident_id.empty()) return InvalidArgumentError("an incident id is required");
  ASSIGN_OR_RETURN(auto incident, engine.store().incidents().Get(incident_id));
  if (incident.incident.status != "open") return FailedPreconditionError("incident " + incident_id + " is closed");
  return incident;
}

// What a trigger records.
struct TriggerSpec {
  std::string source;
  std::string severity;
  std::string dedupe_key;
  std::string description;
  std::vector<AffectedPractice> practices;
  store::AffectedMerge merge = store::AffectedMerge::kSet;
  std::string note;                 // ids and counts
  audit::Details details;           // for the audit event
};

StatusOr<TriggerOutcome> FireOnce(engine::Engine& engine, const TriggerSpec& spec) {
  store::IncidentStore& incidents = engine.store().incidents();
  ASSIGN_OR_RETURN(auto open, incidents.FindOpen(spec.dedupe_key));
  audit::Details details = spec.details;
  details["source"] = spec.source;
  if (open) {
    store::IncidentChange change;
    change.merge = spec.merge;
    change.triggered = true;
    if (SeverityRank(spec.severity) > SeverityRank(open->severity)) change.severity = spec.severity;
    for (const auto& p : spec.practices) {
      ASSIGN_OR_RETURN(auto row, PracticeRow(engine, open->incident_id, open->discovered_at, p));
      change.practices.push_back(std::move(row));
    }
    details["incident"] = open->incident_id;
    RETURN_IF_ERROR(incidents.Update(open->incident_id, change, UpdateRow(engine, "triggered", spec.note),
                                     engine.Event("incident.trigger", "", open->incident_id, details)));
    return TriggerOutcome{true, false, open->incident_id};
  }
  ASSIGN_OR_RETURN(std::string id, engine.random().NewId("inc"));
  const TimePoint now = engine.clock().Now();
  store::IncidentRow row;
  row.incident_id = id;
  row.source = spec.source;
  row.severity = spec.severity;
  row.status = "open";
  row.discovered_at = now;
  row.opened_at = now;
  row.description = spec.description;
  row.dedupe_key = spec.dedupe_key;
  row.opened_by = engine.actor();
  row.trigger_count = 1;
  std::vector<store::IncidentPracticeRow> practices;
  for (const auto& p : spec.practices) {
    ASSIGN_OR_RETURN(auto prow, PracticeRow(engine, id, now, p));
    practices.push_back(std::move(prow));
  }
  details["incident"] = id;
  details["practices"] = static_cast<int64_t>(practices.size());
  RETURN_IF_ERROR(incidents.Create(row, practices, UpdateRow(engine, "opened", spec.note),
                                   engine.Event("incident.open", "", id, details)));
  return TriggerOutcome{true, true, id};
}

StatusOr<TriggerOutcome> Fire(engine::Engine& engine, const TriggerSpec& spec) {
  auto outcome = FireOnce(engine, spec);
  // Another process opened the incident for this key between our look-up and
  // our insert: update that one instead.
  if (!outcome.ok() && outcome.status().code() == StatusCode::kAlreadyExists) outcome = FireOnce(engine, spec);
  return outcome;
}

// A trigger's failure never breaks the action it observes; it is written here,
// once, as one line of ids (Status messages carry no PHI).
StatusOr<TriggerOutcome> Logged(std::string_view trigger, StatusOr<TriggerOutcome> outcome) {
  if (!outcome.ok()) {
    std::cerr << "recall: warning: incident trigger " << trigger << " failed: " << outcome.status().ToString()
              << "\n";
  }
  return outcome;
}

std::string Rfc3339(TimePoint t) { return FormatRfc3339Millis(t); }

int64_t EnvPositive(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long long parsed = std::strtoll(v, &end, 10);
  if (end == v || *end != '\0' || parsed <= 0) return fallback;
  return parsed;
}

}  // namespace

StatusOr<Incident> Open(engine::Engine& engine, const NewIncident& input) {
  RETURN_IF_ERROR(CheckText("description", input.description, kMaxDescription, true));
  RETURN_IF_ERROR(CheckSeverity(input.severity));
  const TimePoint now = engine.clock().Now();
  const TimePoint discovered = input.discovered_at.value_or(now);
  RETURN_IF_ERROR(CheckNotFuture(engine, discovered, "the discovery time"));
  std::set<std::string> seen;
  for (const auto& p : input.practices) {
    if (!seen.insert(p.practice_id).second) return InvalidArgumentError("practice " + p.practice_id + " given twice");
  }
  ASSIGN_OR_RETURN(std::string id, engine.random().NewId("inc"));
  store::IncidentRow row;
  row.incident_id = id;
  row.source = "manual";
  row.severity = input.severity;
  row.status = "open";
  row.discovered_at = discovered;
  row.opened_at = now;
  row.description = std::string(TrimAscii(input.description));
  row.opened_by = engine.actor();
  std::vector<store::IncidentPracticeRow> practices;
  int64_t affected = 0;
  for (const auto& p : input.practices) {
    ASSIGN_OR_RETURN(auto prow, PracticeRow(engine, id, discovered, p));
    affected += prow.affected;
    practices.push_back(std::move(prow));
  }
  audit::Details details = {{"incident", id},
                            {"source", row.source},
                            {"severity", row.severity},
                            {"discovered_at", Rfc3339(discovered)},
                            {"practices", static_cast<int64_t>(practices.size())},
                            {"affected", affected}};
  RETURN_IF_ERROR(engine.store().incidents().Create(
      row, practices,
      UpdateRow(engine, "opened", std::to_string(practices.size()) + " practices, " + std::to_string(affected) +
                                      " affected"),
      engine.Event("incident.open", "", id, details)));
  return engine.store().incidents().Get(id);
}

StatusOr<Incident> Update(engine::Engine& engine, const std::string& incident_id, const IncidentEdit& edit) {
  if (!edit.description && !edit.severity) return InvalidArgumentError("nothing to update");
  store::IncidentChange change;
  std::string note;
  if (edit.description) {
    RETURN_IF_ERROR(CheckText("description", *edit.description, kMaxDescription, true));
    change.description = std::string(TrimAscii(*edit.description));
    note = "description";
  }
  if (edit.severity) {
    RETURN_IF_ERROR(CheckSeverity(*edit.severity));
    change.severity = *edit.severity;
    note += (note.empty() ? "" : ", ") + std::string("severity ") + *edit.severity;
  }
  RETURN_IF_ERROR(RequireOpen(engine, incident_id).status());
  audit::Details details = {{"incident", incident_id}, {"description_changed", edit.description.has_value()}};
  if (edit.severity) details["severity"] = *edit.severity;
  RETURN_IF_ERROR(engine.store().incidents().Update(incident_id, change, UpdateRow(engine, "updated", note),
                                                    engine.Event("incident.update", "", incident_id, details)));
  return engine.store().incidents().Get(incident_id);
}

StatusOr<Incident> AddPractice(engine::Engine& engine, const std::string& incident_id, const AffectedPractice& practice) {
  if (practice.practice_id.empty()) return InvalidArgumentError("a practice id is required");
  ASSIGN_OR_RETURN(auto current, RequireOpen(engine, incident_id));
  ASSIGN_OR_RETURN(auto row, PracticeRow(engine, incident_id, current.incident.discovered_at, practice));
  store::IncidentChange change;
  change.merge = store::AffectedMerge::kSet;
  change.practices.push_back(row);
  audit::Details details = {{"incident", incident_id},
                            {"affected", practice.affected},
                            {"breach_notice_hours", int64_t{row.breach_notice_hours}}};
  RETURN_IF_ERROR(engine.store().incidents().Update(
      incident_id, change,
      UpdateRow(engine, "practice", practice.practice_id + " affected " + std::to_string(practice.affected)),
      engine.Event("incident.practice", practice.practice_id, incident_id, details)));
  return engine.store().incidents().Get(incident_id);
}

StatusOr<Incident> RecordNotification(engine::Engine& engine, const std::string& incident_id,
                                      const Notification& notification) {
  if (notification.practice_id.empty()) return InvalidArgumentError("the notified practice is required");
  RETURN_IF_ERROR(CheckText("recipient", notification.recipient, kMaxRecipient, true));
  if (!Channels().contains(notification.channel)) {
    return InvalidArgumentError("channel must be email, phone, letter, portal, in_person or other");
  }
  const TimePoint now = engine.clock().Now();
  const TimePoint at = notification.notified_at.value_or(now);
  RETURN_IF_ERROR(CheckNotFuture(engine, at, "the notification time"));
  ASSIGN_OR_RETURN(auto current, RequireOpen(engine, incident_id));
  if (at < current.incident.discovered_at) return InvalidArgumentError("the notification time is before discovery");
  store::IncidentNotificationRow row{incident_id,
                                     notification.practice_id,
                                     std::string(TrimAscii(notification.recipient)),
                                     notification.channel,
                                     at,
                                     engine.actor(),
                                     now};
  audit::Details details = {{"incident", incident_id}, {"channel", row.channel}, {"notified_at", Rfc3339(at)}};
  RETURN_IF_ERROR(engine.store().incidents().RecordNotification(
      row, UpdateRow(engine, "notified", notification.practice_id + " by " + row.channel),
      engine.Event("incident.notify", notification.practice_id, incident_id, details)));
  return engine.store().incidents().Get(incident_id);
}

StatusOr<Incident> ApplyUpdate(engine::Engine& engine, const std::string& incident_id, const UpdateRequest& request) {
  const bool edit = request.edit.description || request.edit.severity;
  if (!edit && request.practices.empty() && !request.notification) return InvalidArgumentError("nothing to update");
  ASSIGN_OR_RETURN(auto current, RequireOpen(engine, incident_id));
  if (request.edit.description) RETURN_IF_ERROR(CheckText("description", *request.edit.description, kMaxDescription, true));
  if (request.edit.severity) RETURN_IF_ERROR(CheckSeverity(*request.edit.severity));
  std::set<std::string> listed;
  for (const auto& p : current.practices) listed.insert(p.practice_id);
  std::set<std::string> seen;
  for (const auto& p : request.practices) {
    if (p.practice_id.empty()) return InvalidArgumentError("a practice id is required");
    if (!seen.insert(p.practice_id).second) return InvalidArgumentError("practice " + p.practice_id + " given twice");
    RETURN_IF_ERROR(PracticeRow(engine, incident_id, current.incident.discovered_at, p).status());
    listed.insert(p.practice_id);
  }
  if (const auto& n = request.notification) {
    if (n->practice_id.empty()) return InvalidArgumentError("the notified practice is required");
    if (!listed.contains(n->practice_id)) {
      return NotFoundError("practice " + n->practice_id + " is not affected by incident " + incident_id);
    }
    RETURN_IF_ERROR(CheckText("recipient", n->recipient, kMaxRecipient, true));
    if (!Channels().contains(n->channel)) {
      return InvalidArgumentError("channel must be email, phone, letter, portal, in_person or other");
    }
    const TimePoint at = n->notified_at.value_or(engine.clock().Now());
    RETURN_IF_ERROR(CheckNotFuture(engine, at, "the notification time"));
    if (at < current.incident.discovered_at) return InvalidArgumentError("the notification time is before discovery");
  }
  if (edit) RETURN_IF_ERROR(Update(engine, incident_id, request.edit).status());
  for (const auto& p : request.practices) RETURN_IF_ERROR(AddPractice(engine, incident_id, p).status());
  if (request.notification) RETURN_IF_ERROR(RecordNotification(engine, incident_id, *request.notification).status());
  return engine.store().incidents().Get(incident_id);
}

StatusOr<Incident> Close(engine::Engine& engine, const std::string& incident_id, const std::string& resolution) {
  RETURN_IF_ERROR(CheckText("resolution", resolution, kMaxResolution, true));
  ASSIGN_OR_RETURN(auto current, RequireOpen(engine, incident_id));
  const TimePoint now = engine.clock().Now();
  const auto overdue = OverduePractices(current, now);
  audit::Details details = {{"incident", incident_id},
                            {"practices", static_cast<int64_t>(current.practices.size())},
                            {"unnotified_overdue", static_cast<int64_t>(overdue.size())}};
  RETURN_IF_ERROR(engine.store().incidents().Close(incident_id, std::string(TrimAscii(resolution)), now,
                                                   UpdateRow(engine, "closed", ""),
                                                   engine.Event("incident.close", "", incident_id, details)));
  return engine.store().incidents().Get(incident_id);
}

StatusOr<std::vector<Incident>> List(engine::Engine& engine, const ListOptions& options) {
  ASSIGN_OR_RETURN(auto all, engine.store().incidents().List({options.open_only || options.overdue_only}));
  if (!options.overdue_only) return all;
  const TimePoint now = engine.clock().Now();
  std::vector<Incident> out;
  for (auto& incident : all) {
    if (IsOverdue(incident, now)) out.push_back(std::move(incident));
  }
  return out;
}

StatusOr<Incident> Get(engine::Engine& engine, const std::string& incident_id) {
  if (incident_id.empty()) return InvalidArgumentError("an incident id is required");
  return engine.store().incidents().Get(incident_id);
}

TimePoint DeadlineFor(const store::IncidentPracticeRow& practice) {
  return std::min(practice.contractual_deadline, practice.regulatory_deadline);
}

bool Notified(const Incident& incident, const std::string& practice_id) {
  return std::any_of(incident.notifications.begin(), incident.notifications.end(),
                     [&](const store::IncidentNotificationRow& n) { return n.practice_id == practice_id; });
}

std::vector<std::string> OverduePractices(const Incident& incident, TimePoint now) {
  std::vector<std::string> out;
  if (incident.incident.status != "open") return out;
  for (const auto& p : incident.practices) {
    if (now > DeadlineFor(p) && !Notified(incident, p.practice_id)) out.push_back(p.practice_id);
  }
  return out;
}

bool IsOverdue(const Incident& incident, TimePoint now) { return !OverduePractices(incident, now).empty(); }

StatusOr<std::vector<Incident>> Overdue(engine::Engine& engine, TimePoint now) {
  ASSIGN_OR_RETURN(auto open, engine.store().incidents().List({true}));
  std::vector<Incident> out;
  for (auto& incident : open) {
    if (IsOverdue(incident, now)) out.push_back(std::move(incident));
  }
  return out;
}

StatusOr<Counts> CountOpen(engine::Engine& engine) {
  ASSIGN_OR_RETURN(auto open, engine.store().incidents().List({true}));
  const TimePoint now = engine.clock().Now();
  Counts c;
  c.open = static_cast<int64_t>(open.size());
  for (const auto& incident : open) {
    if (IsOverdue(incident, now)) ++c.overdue;
  }
  return c;
}

json ToJson(const Incident& d, TimePoint now, bool with_history) {
  const auto& i = d.incident;
  json practices = json::array();
  int64_t affected = 0;
  for (const auto& p : d.practices) {
    const bool notified = Notified(d, p.practice_id);
    affected += p.affected;
    practices.push_back({{"practice_id", p.practice_id},
                         {"affected", p.affected},
                         {"breach_notice_hours", p.breach_notice_hours},
                         {"contractual_deadline", Rfc3339(p.contractual_deadline)},
                         {"regulatory_deadline", Rfc3339(p.regulatory_deadline)},
                         {"deadline", Rfc3339(DeadlineFor(p))},
                         {"notified", notified},
                         {"overdue", i.status == "open" && !notified && now > DeadlineFor(p)}});
  }
  json notifications = json::array();
  for (const auto& n : d.notifications) {
    notifications.push_back({{"practice_id", n.practice_id},
                             {"recipient", n.recipient},
                             {"channel", n.channel},
                             {"notified_at", Rfc3339(n.notified_at)},
                             {"recorded_by", n.recorded_by},
                             {"recorded_at", Rfc3339(n.recorded_at)}});
  }
  json out = {{"incident_id", i.incident_id},
              {"source", i.source},
              {"severity", i.severity},
              {"status", i.status},
              {"discovered_at", Rfc3339(i.discovered_at)},
              {"opened_at", Rfc3339(i.opened_at)},
              {"closed_at", i.closed_at ? json(Rfc3339(*i.closed_at)) : json(nullptr)},
              {"description", i.description},
              {"resolution", i.resolution.empty() ? json(nullptr) : json(i.resolution)},
              {"opened_by", i.opened_by},
              {"trigger_count", i.trigger_count},
              {"affected", affected},
              {"overdue", IsOverdue(d, now)},
              {"practices", practices},
              {"notifications", notifications}};
  if (with_history) {
    json updates = json::array();
    for (const auto& u : d.updates) {
      updates.push_back(
          {{"seq", u.seq}, {"at", Rfc3339(u.at)}, {"actor", u.actor}, {"kind", u.kind}, {"note", u.note}});
    }
    out["updates"] = updates;
  }
  return out;
}

// --- triggers ----------------------------------------------------------------

StatusOr<TriggerOutcome> OnAuditVerifyFailure(engine::Engine& engine, const std::string& what) {
  TriggerSpec spec;
  spec.source = "audit_chain";
  spec.severity = "high";
  spec.dedupe_key = "audit_chain";
  spec.description = "the audit log failed verification";
  // `what` comes from the verifier (record numbers and reason codes); keep it
  // only when it passes the same guard as operator text.
  std::string detail(TrimAscii(what));
  if (!detail.empty() && CheckText("what", detail, 200, false).ok()) {
    spec.description += ": " + detail;
    spec.note = detail;
  }
  return Logged("audit_chain", Fire(engine, spec));
}

StatusOr<TriggerOutcome> OnScannerBlockAfterApproval(engine::Engine& engine, const std::string& practice_id,
                                                     const std::string& campaign_id, const std::string& message_id) {
  TriggerSpec spec;
  spec.source = "scanner_after_approval";
  spec.severity = "medium";
  spec.dedupe_key = "scanner_after_approval:" + practice_id + ":" + campaign_id;
  spec.description = "the clinical-content scanner blocked rendered messages of approved campaign " + campaign_id +
                     " (not sent)";
  spec.practices = {{practice_id, 1}};
  spec.merge = store::AffectedMerge::kAdd;
  spec.note = "blocked message " + message_id;
  spec.details = {{"campaign", campaign_id}, {"message", message_id}};
  return Logged("scanner_after_approval", Fire(engine, spec));
}

SensitiveAccessPolicy PolicyFromEnvironment() {
  SensitiveAccessPolicy p;
  p.reveal_threshold = EnvPositive("RECALL_INCIDENT_REVEAL_THRESHOLD", p.reveal_threshold);
  p.export_threshold = EnvPositive("RECALL_INCIDENT_EXPORT_THRESHOLD", p.export_threshold);
  p.window = std::chrono::minutes(EnvPositive("RECALL_INCIDENT_WINDOW_MINUTES", p.window.count()));
  return p;
}

StatusOr<TriggerOutcome> OnSensitiveAccess(engine::Engine& engine, const std::string& practice_id, AccessKind kind) {
  return OnSensitiveAccess(engine, practice_id, kind, PolicyFromEnvironment());
}

StatusOr<TriggerOutcome> OnSensitiveAccess(engine::Engine& engine, const std::string& practice_id, AccessKind kind,
                                           const SensitiveAccessPolicy& policy) {
  const bool reveal = kind == AccessKind::kReveal;
  const std::string name = reveal ? "reveal_volume" : "export_volume";
  auto run = [&]() -> StatusOr<TriggerOutcome> {
    const std::string action = reveal ? "patient.reveal" : "audit.export";
    const int64_t threshold = reveal ? policy.reveal_threshold : policy.export_threshold;
    const TimePoint since = engine.clock().Now() - policy.window;
    store::IncidentStore& incidents = engine.store().incidents();
    ASSIGN_OR_RETURN(int64_t count, incidents.CountAudit(engine.actor(), action, "", since));
    if (count < threshold) return TriggerOutcome{};
    TriggerSpec spec;
    spec.source = name;
    spec.severity = "high";
    spec.dedupe_key = name + ":" + engine.actor();
    const std::string what = reveal ? "PHI reveals" : "audit exports";
    const std::string window = std::to_string(policy.window.count()) + " minutes";
    spec.description = "unusual volume of " + what + " by one actor (see opened_by): " + std::to_string(count) +
                       " in " + window + ", threshold " + std::to_string(threshold);
    if (!practice_id.empty()) {
      ASSIGN_OR_RETURN(int64_t in_practice, incidents.CountAudit(engine.actor(), action, practice_id, since));
      spec.practices = {{practice_id, in_practice}};
    }
    spec.merge = store::AffectedMerge::kMax;
    spec.note = std::to_string(count) + " " + action + " in " + window;
    spec.details = {{"count", count}, {"threshold", threshold}, {"window_minutes", int64_t{policy.window.count()}}};
    return Fire(engine, spec);
  };
  return Logged(name, run());
}

}  // namespace recall::incidents
