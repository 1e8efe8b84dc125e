#pragma once
// The campaign planner and run control: turns an approved campaign into
// outbox messages, one step at a time, and moves the campaign through
// scheduled -> running -> (paused <-> running) -> completed.
//
// Start. StartCampaign re-checks that the campaign is dispatchable (approved,
// content hash unchanged), computes when each step falls due (the schedule's
// practice-local start, or now when it is unset or past, plus the cumulative
// step delays), records the step runs and moves the campaign to "scheduled".
// The worker (dispatch/worker.h) calls PlanDueSteps on every tick: a step whose
// time has come is expanded; planning step 0 moves the campaign to "running".
//
// Planning one step. The cohort is the segment's patients (step 0) or the
// patients step 0 considered (later steps: new patients imported after the
// start do not join a running sequence). For each patient, in patient id
// order, the planner records exactly one plan entry:
//   - "skipped" with reason "responded" when the step's condition is
//     no_response and the patient replied, confirmed, clicked or opted out
//     since the campaign started;
//   - for a call_list step, "call_list" unless the patient opted out or has
//     no phone ("opted_out", "no_channel");
//   - otherwise the first channel of [channel, fallbacks...] that has a usable
//     contact (email address; a phone, and for SMS a line the export or a
//     carrier lookup called mobile), no invalid-contact report, consent for
//     (channel, the campaign's purpose) now (consent::ConsentSnapshot), an
//     approved variant in the patient's language (else the practice's
//     language policy: the default language's variant, or skip with
//     "no_language" and list the patient for a staff call), and room under the
//     practice's weekly cap -> "planned" with a new outbox message due at the
//     step's time;
//   - when no channel qualifies, "skipped" with the most telling reason:
//     "opted_out" when any channel's consent was revoked, else the primary
//     channel's: "no_consent", "invalid_contact" (hard bounce, reassigned or
//     changed number), "no_channel" (no contact for the channel at all, or a
//     landline or unknown line for SMS), "cap_reached".
// The consent confirmation campaign (kind consent_confirmation) targets, on
// top of its segment, only patients with an email address and no SMS consent
// for the purpose.
//
// Idempotent and crash-safe: entries and their outbox messages are committed
// together in batches (RunStore::CommitPlan), an existing entry is never
// replaced, and the step is closed (MarkStepPlanned) only when every patient
// has an entry. A planner killed half-way re-runs the step and plans only
// the rest.
//
// PHI: planning reads blind indexes, line types, languages, visit dates and
// consent state; it decrypts nothing. Each batch is audited
// ("campaign.plan_batch": counts only); the step's close is audited
// ("campaign.plan_step": counts by decision and reason).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"

namespace recall::planner {

inline constexpr char kPaused[] = "paused";

struct PlanOptions {
  int batch_size = 5000;  // entries per transaction
};

struct PlanResult {
  std::string campaign_id;
  int step = 0;
  int64_t considered = 0;
  int64_t planned = 0;
  int64_t call_list = 0;
  std::map<std::string, int64_t> skipped;  // by reason
  std::map<std::string, int64_t> channels; // planned, by channel
};

// Plans one step now (whatever its due time). FailedPrecondition when the
// campaign is not dispatchable or the step run does not exist (not started);
// NotFound.
StatusOr<PlanResult> PlanStep(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id,
                              int step, const PlanOptions& options = {});

// Plans every step of any practice that is due at the engine's now, oldest
// first. Returns the steps planned.
StatusOr<std::vector<PlanResult>> PlanDueSteps(engine::Engine& engine, const PlanOptions& options = {});

struct RunStatus {
  std::string campaign_id;
  std::string state;
  std::vector<int64_t> step_due_ms;  // per step, ms since epoch
};

// approved -> scheduled, with its step runs. FailedPrecondition when not
// approved (or already started: starting a scheduled/running campaign again
// is OK and changes nothing) or not dispatchable. Audited.
StatusOr<RunStatus> StartCampaign(engine::Engine& engine, const std::string& practice_id,
                                  const std::string& campaign_id);
// scheduled|running -> paused: its queued messages are held (not claimed).
Status PauseCampaign(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id);
// paused -> running (or scheduled when step 0 is not planned yet), after
// re-checking that the campaign is dispatchable.
Status ResumeCampaign(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id);
// running -> completed for every running campaign whose steps are all planned
// and whose messages are all final. Returns the campaigns completed.
StatusOr<std::vector<std::string>> CompleteFinishedCampaigns(engine::Engine& engine);

}  // namespace recall::planner
