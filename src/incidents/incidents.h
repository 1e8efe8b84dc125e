#pragma once
// Incidents: possible breaches of unsecured PHI, with the deadlines the BAA
// and the HIPAA Breach Notification Rule set (docs/incidents.md).
//
// Recall is the practices' business associate. When it discovers a security
// incident it owes each affected practice (the covered entity) notice without
// unreasonable delay and no later than 60 calendar days after discovery
// (45 CFR 164.410); the practice's BAA usually shortens that
// (BaaRow::breach_notice_hours, 72 by default). An incident records when it was
// discovered, a description (no PHI), the affected practices with their counts
// and deadlines, the notifications made, and an update history; every change is
// audited in the same transaction (store/incident_store.h).
//
// Some events open an incident by themselves (the triggers at the bottom): an
// audit chain that fails to verify, a rendered message the scanner blocked
// after its campaign was approved, an unusual volume of PHI reveals or audit
// exports by one actor. A trigger that fires again while its incident is open
// updates that incident instead of opening another.
//
// Every function takes the Engine it runs in (its clock, randomness and actor).
// Thread-safety: as the Store.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/engine.h"
#include "store/incident_store.h"

namespace recall::incidents {

// 45 CFR 164.410(b): no later than 60 calendar days after discovery.
inline constexpr std::chrono::hours kRegulatoryDeadline{24 * 60};
// When a practice has no BAA on file (or one without hours): the usual 72.
inline constexpr int kDefaultBreachNoticeHours = 72;
// Text limits (bytes of UTF-8).
inline constexpr size_t kMaxDescription = 2000;
inline constexpr size_t kMaxResolution = 2000;
inline constexpr size_t kMaxRecipient = 200;

using Incident = store::IncidentDetail;

struct AffectedPractice {
  std::string practice_id;
  int64_t affected = 0;  // individuals affected; 0 while unknown
};

struct NewIncident {
  std::string description;                   // required; no PHI; one line
  std::optional<TimePoint> discovered_at;    // default: now; never in the future
  std::string severity = "medium";           // low | medium | high | critical
  std::vector<AffectedPractice> practices;
};

// Opens a manual incident. InvalidArgument (PHI-looking or too long text, bad
// severity, discovery in the future, a negative count, a practice twice);
// NotFound for an unknown practice. Audited ("incident.open").
StatusOr<Incident> Open(engine::Engine& engine, const NewIncident& input);

struct IncidentEdit {
  std::optional<std::string> description;
  std::optional<std::string> severity;
};
// Changes the description or severity. InvalidArgument; NotFound;
// FailedPrecondition when closed. Audited ("incident.update").
StatusOr<Incident> Update(engine::Engine& engine, const std::string& incident_id, const IncidentEdit& edit);

// Adds an affected practice (its deadlines from its latest BAA) or sets the
// count of one already listed (its deadlines stay). InvalidArgument; NotFound;
// FailedPrecondition when closed. Audited ("incident.practice").
StatusOr<Incident> AddPractice(engine::Engine& engine, const std::string& incident_id, const AffectedPractice& practice);

struct Notification {
  std::string practice_id;
  std::string recipient;                  // a role ("privacy officer"), no PHI
  std::string channel;                    // email | phone | letter | portal | in_person | other
  std::optional<TimePoint> notified_at;   // default: now; never in the future
};
// Records that the practice was notified. InvalidArgument; NotFound (also for a
// practice the incident does not list); FailedPrecondition when closed.
// Audited ("incident.notify").
StatusOr<Incident> RecordNotification(engine::Engine& engine, const std::string& incident_id,
                                      const Notification& notification);

// What `recall incident update` asks for at once.
struct UpdateRequest {
  IncidentEdit edit;
  std::vector<AffectedPractice> practices;
  std::optional<Notification> notification;
};
// Checks every part first (so that bad input changes nothing), then applies
// the edit, the practices and the notification in that order (a notification
// may name a practice added by the same request). Errors as the functions above.
StatusOr<Incident> ApplyUpdate(engine::Engine& engine, const std::string& incident_id, const UpdateRequest& request);

// Closes with a resolution (required, no PHI). InvalidArgument; NotFound;
// FailedPrecondition when already closed. Audited ("incident.close").
StatusOr<Incident> Close(engine::Engine& engine, const std::string& incident_id, const std::string& resolution);

struct ListOptions {
  bool open_only = false;
  bool overdue_only = false;  // implies open; overdue at engine.clock().Now()
};
// Newest first.
StatusOr<std::vector<Incident>> List(engine::Engine& engine, const ListOptions& options = {});
// NotFound.
StatusOr<Incident> Get(engine::Engine& engine, const std::string& incident_id);

// --- deadlines ---------------------------------------------------------------

// The deadline that binds a practice: the earlier of its contractual one
// (discovery + BAA hours) and the regulatory one (discovery + 60 days).
TimePoint DeadlineFor(const store::IncidentPracticeRow& practice);
// The practice was notified (a notification is recorded for it).
bool Notified(const Incident& incident, const std::string& practice_id);
// Practices of an open incident whose binding deadline passed at `now` with no
// notification recorded. Empty for a closed incident.
std::vector<std::string> OverduePractices(const Incident& incident, TimePoint now);
bool IsOverdue(const Incident& incident, TimePoint now);
// The open incidents overdue at `now` (the console and /metrics read this).
StatusOr<std::vector<Incident>> Overdue(engine::Engine& engine, TimePoint now);

struct Counts {
  int64_t open = 0;
  int64_t overdue = 0;
};
// Open and overdue incidents at engine.clock().Now(): the /metrics gauges.
StatusOr<Counts> CountOpen(engine::Engine& engine);

// The incident as JSON (RFC 3339 UTC times): practices with their deadlines,
// `notified` and `overdue` at `now`, the notifications and, with
// `with_history`, the update history. No PHI by construction.
nlohmann::json ToJson(const Incident& incident, TimePoint now, bool with_history);

// --- automatic triggers ------------------------------------------------------
//
// Called by other subsystems after the event they observe. A trigger never
// breaks that action: callers ignore its result. It writes its own failure to
// stderr as one line with ids only, and returns it (for tests).

struct TriggerOutcome {
  bool fired = false;        // false: below a threshold, nothing recorded
  bool opened = false;       // true: a new incident; false: the open one was updated
  std::string incident_id;   // when fired
};

// `recall audit verify` or the API's verify route found a broken chain or a
// bad checkpoint. `what` is a short, PHI-free reason ("hash mismatch at record
// 17"); it is left out of the description when it does not pass the PHI guard.
// Severity high; one open incident at a time (dedupe key "audit_chain").
StatusOr<TriggerOutcome> OnAuditVerifyFailure(engine::Engine& engine, const std::string& what);

// The dispatch worker's rescan after render blocked a message of a running
// (hence approved) campaign. The practice is affected (count + 1 per blocked
// message); one open incident per practice and campaign.
StatusOr<TriggerOutcome> OnScannerBlockAfterApproval(engine::Engine& engine, const std::string& practice_id,
                                                     const std::string& campaign_id, const std::string& message_id);

enum class AccessKind { kReveal, kExport };

// Thresholds of the sensitive-access triggers: `*_threshold` or more records
// of one actor inside the last `window` open (or update) an incident.
// Defaults: 50 reveals or 20 audit exports in 60 minutes; the environment
// overrides them (RECALL_INCIDENT_REVEAL_THRESHOLD,
// RECALL_INCIDENT_EXPORT_THRESHOLD, RECALL_INCIDENT_WINDOW_MINUTES).
struct SensitiveAccessPolicy {
  int64_t reveal_threshold = 50;
  int64_t export_threshold = 20;
  std::chrono::minutes window{60};
};
// The defaults, overridden by the environment variables above (values that are
// not positive integers are ignored).
SensitiveAccessPolicy PolicyFromEnvironment();

// After a successful PHI reveal ("patient.reveal") or audit export
// ("audit.export", already appended) by engine.actor(): counts that actor's
// records of the action in the window and, past the threshold, opens or
// updates the incident for that actor (dedupe "reveal_volume:<actor>" or
// "export_volume:<actor>"). `practice_id` (may be "" for an installation-wide
// export) is added as affected with the actor's count in it.
StatusOr<TriggerOutcome> OnSensitiveAccess(engine::Engine& engine, const std::string& practice_id, AccessKind kind);
StatusOr<TriggerOutcome> OnSensitiveAccess(engine::Engine& engine, const std::string& practice_id, AccessKind kind,
                                           const SensitiveAccessPolicy& policy);

}  // namespace recall::incidents
