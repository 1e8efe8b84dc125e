#pragma once
// IncidentStore: security incidents (possible breaches) with their deadlines
// and recorded notifications (docs/incidents.md). Rows hold no PHI: ids,
// counts, times and short operator-written text the domain has checked.
// See store/store.h for the rules every sub-store keeps.
//
// An incident is installation-wide (Recall, the business associate, had it);
// the practices it affects are rows of their own, each with the number of
// affected individuals and that practice's deadlines. Every change appends one
// row to the incident's update history and its audit event in the same
// transaction. Incidents are never deleted.
//
// Thread-safety: as Store (writes serialised by the backend).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::store {

struct IncidentRow {
  std::string incident_id;  // "inc_..." opaque
  std::string source;       // "manual" | "audit_chain" | "scanner_after_approval" | "reveal_volume" | "export_volume"
  std::string severity;     // "low" | "medium" | "high" | "critical"
  std::string status;       // "open" | "closed"
  TimePoint discovered_at;  // when the incident was discovered: the deadlines run from here
  TimePoint opened_at;      // when it was recorded
  std::optional<TimePoint> closed_at;
  std::string description;  // no PHI (checked by the domain)
  std::string resolution;   // "" until closed
  std::string dedupe_key;   // automatic triggers: at most one *open* incident per key; "" for manual
  std::string opened_by;    // the actor
  int64_t trigger_count = 0;  // how often an automatic trigger fired for it (manual: 0)
};

struct IncidentPracticeRow {
  std::string incident_id;
  std::string practice_id;
  int64_t affected = 0;                // individuals affected (0: not yet known)
  int breach_notice_hours = 72;        // the practice's BAA hours when it was added
  TimePoint contractual_deadline;      // discovered_at + breach_notice_hours
  TimePoint regulatory_deadline;       // discovered_at + 60 days (45 CFR 164.410)
  TimePoint added_at;
};

struct IncidentNotificationRow {
  std::string incident_id;
  std::string practice_id;
  std::string recipient;  // a role or office ("privacy officer"), not a patient; no PHI
  std::string channel;    // "email" | "phone" | "letter" | "portal" | "in_person" | "other"
  TimePoint notified_at;
  std::string recorded_by;  // the actor
  TimePoint recorded_at;
};

struct IncidentUpdateRow {
  std::string incident_id;
  int64_t seq = 0;       // assigned by the store, 1.. per incident
  TimePoint at;
  std::string actor;
  std::string kind;      // "opened" | "updated" | "practice" | "notified" | "triggered" | "closed"
  std::string note;      // ids and counts only
};

// An incident with everything recorded about it.
struct IncidentDetail {
  IncidentRow incident;
  std::vector<IncidentPracticeRow> practices;             // in the order added
  std::vector<IncidentNotificationRow> notifications;     // in the order recorded
  std::vector<IncidentUpdateRow> updates;                 // by seq
};

// How a practice's affected count changes when the practice is already listed.
enum class AffectedMerge {
  kSet,  // replace (an operator's count)
  kAdd,  // add (one more blocked message)
  kMax,  // keep the larger (a sliding-window count)
};

// One change to an open incident; unset fields stay as they are.
struct IncidentChange {
  std::optional<std::string> description;
  std::optional<std::string> severity;  // operators set it; triggers only raise it
  std::vector<IncidentPracticeRow> practices;  // added, or their count merged
  AffectedMerge merge = AffectedMerge::kSet;
  bool triggered = false;  // an automatic trigger fired again: trigger_count + 1
};

struct IncidentFilter {
  bool open_only = false;
};

class IncidentStore {
 public:
  virtual ~IncidentStore() = default;
  // Inserts the incident, its practices and its first update (seq 1).
  // AlreadyExists for a duplicate id or when an open incident already holds
  // the row's non-empty dedupe key; NotFound for an unknown practice.
  virtual Status Create(const IncidentRow& row, const std::vector<IncidentPracticeRow>& practices,
                        const IncidentUpdateRow& update, const audit::AuditEvent& event) = 0;
  // NotFound.
  virtual StatusOr<IncidentDetail> Get(const std::string& incident_id) = 0;
  // The open incident holding `dedupe_key`, or nullopt.
  virtual StatusOr<std::optional<IncidentRow>> FindOpen(const std::string& dedupe_key) = 0;
  // Newest first (by opened_at, then id).
  virtual StatusOr<std::vector<IncidentDetail>> List(const IncidentFilter& filter) = 0;
  // Applies `change` and appends `update`. NotFound; FailedPrecondition when
  // the incident is closed; NotFound for an unknown practice.
  virtual Status Update(const std::string& incident_id, const IncidentChange& change,
                        const IncidentUpdateRow& update, const audit::AuditEvent& event) = 0;
  // Records a notification to one of the incident's practices. NotFound (also
  // when the practice is not among the incident's); FailedPrecondition when closed.
  virtual Status RecordNotification(const IncidentNotificationRow& row, const IncidentUpdateRow& update,
                                    const audit::AuditEvent& event) = 0;
  // Closes the incident (its dedupe key is free again). NotFound;
  // FailedPrecondition when already closed.
  virtual Status Close(const std::string& incident_id, const std::string& resolution, TimePoint closed_at,
                       const IncidentUpdateRow& update, const audit::AuditEvent& event) = 0;
  // How many audit records `actor` wrote with `action` at or after `since`
  // (of `practice_id` only, unless it is ""). For the sensitive-access triggers:
  // `action` is patient.reveal or audit.export (InvalidArgument otherwise), the
  // two actions a partial index covers.
  virtual StatusOr<int64_t> CountAudit(const std::string& actor, const std::string& action,
                                       const std::string& practice_id, TimePoint since) = 0;
};

}  // namespace recall::store
