#pragma once
// RunStore: what happens to a campaign once it is started (see store/store.h
// for the rules every sub-store keeps).
//
//   - Step runs: when each step of a started campaign falls due and whether
//     the planner has expanded it. One row per (campaign, step), written by
//     StartRun; MarkStepPlanned closes a step once every patient has a plan
//     entry.
//   - Plan entries: the planner's decision for every (campaign, step, patient)
//     it considered: "planned" (an outbox message was enqueued; the entry names
//     it), "skipped" (with a reason code: no_consent, opted_out,
//     invalid_contact, no_channel, cap_reached, no_language, condition_met,
//     ...) or "call_list" (a person at the practice should phone the patient).
//     CommitPlan writes entries and their outbox rows in one transaction,
//     idempotently: an entry or message that exists is left as it is, so a
//     planner that crashed half-way can simply run again.
//   - Inbound events: what patients did in reply (opt-out, opt-in, help,
//     confirmation, a click on a link, free text, an urgent message), with the
//     campaign they are attributed to. Never the text itself.
//   - Invalid contacts: a hard bounce or an undeliverable number, recorded per
//     (patient, channel, contact blind index), so that a corrected contact is
//     usable again while the bad one never is.
//
// Rows hold no PHI: opaque ids, channels, reason codes, blind indexes, times.
//
// Thread-safety: as Store (writes serialised by the backend).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/outbox_store.h"

namespace recall::store {

inline constexpr char kPlanPlanned[] = "planned";
inline constexpr char kPlanSkipped[] = "skipped";
inline constexpr char kPlanCallList[] = "call_list";

struct StepRunRow {
  std::string practice_id;
  std::string campaign_id;
  int step = 0;
  TimePoint due_at;      // when the step may be planned (and its messages sent)
  bool planned = false;  // every patient of the segment has an entry
  TimePoint planned_at;  // epoch unless planned
  int64_t entries = 0;   // plan entries when planned
};

struct PlanEntryRow {
  std::string practice_id;
  std::string campaign_id;
  int step = 0;
  std::string patient_id;
  std::string decision;    // kPlanPlanned | kPlanSkipped | kPlanCallList
  std::string reason;      // "ok" when planned; a short code otherwise (see the header comment)
  std::string channel;     // the chosen channel when planned; "" otherwise
  std::string language;    // the template variant's language when planned; "" otherwise
  std::string message_id;  // the outbox message when planned; "" otherwise
  TimePoint planned_at;
};

struct InboundEventRow {
  std::string practice_id;
  std::string event_id;     // "inb_..." opaque, unique per practice
  std::string patient_id;   // "" when the sender matched no patient
  std::string channel;      // "sms" | "email" | "voice" | "web"
  // "opt_out" | "opt_in" | "help" | "confirm" | "click" | "other" | "urgent" | "unsubscribe"
  std::string kind;
  std::string campaign_id;  // the campaign it is attributed to (the patient's latest send); "" when none
  std::string message_id;   // the message it answers, when known; "" otherwise
  TimePoint received_at;
};

struct InvalidContactRow {
  std::string practice_id;
  std::string patient_id;
  std::string channel;        // "email" | "sms" | "voice" | "rvm"
  std::string contact_index;  // blind index of the contact that failed
  std::string reason;         // short code, e.g. "hard_bounce", "undeliverable"
  std::string message_id;     // the message whose report said so
  TimePoint marked_at;
};

// Counts for a campaign's report.
struct RunCounts {
  int64_t planned = 0;
  int64_t call_list = 0;
  std::map<std::string, int64_t> skipped_by_reason;
  // Per step: "planned", "call_list:<reason>", "skipped:<reason>" -> count.
  std::map<int, std::map<std::string, int64_t>> per_step;
  // Per step: planned messages by channel.
  std::map<int, std::map<std::string, int64_t>> channels_per_step;
  std::map<std::string, int64_t> inbound_by_kind;  // attributed inbound events by kind
  // The same by hour received (hours since the Unix epoch, UTC) -> kind -> count.
  std::map<int64_t, std::map<std::string, int64_t>> inbound_by_hour;
  int64_t delivered = 0;                           // outbox rows with delivery "delivered"
  int64_t undeliverable = 0;                       // delivery "undeliverable" or "failed"
  int64_t deferred = 0;                            // messages deferred at least once (gate said defer)
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // --- Step runs -----------------------------------------------------------

  // Records when each step falls due (`steps[i].step` == i), unless the
  // campaign already has step runs (then nothing changes: starting twice is
  // harmless). NotFound for an unknown practice.
  virtual Status StartRun(const std::vector<StepRunRow>& steps, const audit::AuditEvent& event) = 0;
  // The campaign's step runs in step order; empty before StartRun.
  virtual StatusOr<std::vector<StepRunRow>> StepRuns(const std::string& practice_id,
                                                     const std::string& campaign_id) = 0;
  // Unplanned steps of any practice's campaigns in state "scheduled" or "running" that are due
  // at `now`, oldest first.
  virtual StatusOr<std::vector<StepRunRow>> DueSteps(TimePoint now, int limit) = 0;
  // Closes a step. NotFound when the step run does not exist.
  virtual Status MarkStepPlanned(const std::string& practice_id, const std::string& campaign_id, int step,
                                 TimePoint at, const audit::AuditEvent& event) = 0;

  // --- Plan ----------------------------------------------------------------

  // Inserts the entries and the outbox rows (as OutboxStore::Enqueue) that do
  // not exist yet, and appends `event` (details gain "entries_inserted" and
  // "messages_inserted"), in one transaction. Everything must belong to
  // event.practice_id (InvalidArgument). Returns the number of entries inserted.
  virtual StatusOr<int64_t> CommitPlan(const std::vector<PlanEntryRow>& entries, const std::vector<OutboxRow>& rows,
                                       const audit::AuditEvent& event) = 0;
  // One patient's entries for a campaign, in step order.
  virtual StatusOr<std::vector<PlanEntryRow>> PlanFor(const std::string& practice_id, const std::string& campaign_id,
                                                      const std::string& patient_id) = 0;
  // Entries of one step with the given decision ("" = any), ordered by patient id.
  virtual StatusOr<std::vector<PlanEntryRow>> ListPlan(const std::string& practice_id, const std::string& campaign_id,
                                                       int step, const std::string& decision) = 0;
  // Report counts over the whole campaign.
  virtual StatusOr<RunCounts> Counts(const std::string& practice_id, const std::string& campaign_id) = 0;

  // --- Inbound events ------------------------------------------------------

  // Appends the event and its audit record. AlreadyExists on a duplicate id.
  virtual Status RecordInbound(const InboundEventRow& row, const audit::AuditEvent& event) = 0;
  // The patient's inbound events at or after `since`, oldest first.
  virtual StatusOr<std::vector<InboundEventRow>> InboundSince(const std::string& practice_id,
                                                              const std::string& patient_id, TimePoint since) = 0;
  // Patients of the practice with any inbound event at or after `since`, for
  // the planner's "no_response" condition.
  virtual StatusOr<std::vector<std::string>> RespondersSince(const std::string& practice_id, TimePoint since) = 0;

  // --- Invalid contacts ----------------------------------------------------

  // Records the contact as invalid (idempotent) with its audit record.
  virtual Status MarkContactInvalid(const InvalidContactRow& row, const audit::AuditEvent& event) = 0;
  virtual StatusOr<bool> IsContactInvalid(const std::string& practice_id, const std::string& patient_id,
                                          const std::string& channel, const std::string& contact_index) = 0;
  // Every invalid contact of the practice (planning loads them once).
  virtual StatusOr<std::vector<InvalidContactRow>> InvalidContacts(const std::string& practice_id) = 0;
};

}  // namespace recall::store
