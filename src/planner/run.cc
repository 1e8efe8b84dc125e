// Run control: start, pause, resume, complete (planner.h).
#include <chrono>

#include "campaigns/campaigns.h"
#include "planner/planner.h"
#include "planner/schedule.h"
#include "practices/settings.h"

namespace recall::planner {

namespace {

int64_t Millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

StatusOr<RunStatus> StatusOf(engine::Engine& engine, const store::CampaignRow& campaign) {
  RunStatus out;
  out.campaign_id = campaign.campaign_id;
  out.state = campaign.state;
  ASSIGN_OR_RETURN(auto runs, engine.store().runs().StepRuns(campaign.practice_id, campaign.campaign_id));
  for (const auto& r : runs) out.step_due_ms.push_back(Millis(r.due_at));
  return out;
}

}  // namespace

StatusOr<RunStatus> StartCampaign(engine::Engine& engine, const std::string& practice_id,
                                  const std::string& campaign_id) {
  ASSIGN_OR_RETURN(store::CampaignRow campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  if (campaign.state == campaigns::kScheduled || campaign.state == campaigns::kRunning) {
    return StatusOf(engine, campaign);  // already started
  }
  if (campaign.state != campaigns::kApproved) {
    return FailedPreconditionError("campaign " + campaign_id + " is " + campaign.state +
                                   "; only an approved campaign can start");
  }
  RETURN_IF_ERROR(campaigns::CheckDispatchable(engine, practice_id, campaign_id));
  ASSIGN_OR_RETURN(store::PracticeRow practice, engine.store().practices().Get(practice_id));
  // Links need somewhere to resolve: refuse now rather than cancel every message later.
  ASSIGN_OR_RETURN(practices::PracticeSettings settings, practices::GetSettings(engine, practice_id));
  for (const auto& step : campaign.steps) {
    for (const auto& v : step.variants) {
      ASSIGN_OR_RETURN(auto t, engine.store().campaigns().GetTemplate(practice_id, v.template_id, v.template_version));
      const std::string text = t.subject + "\n" + t.body;
      if (settings.public_base_url.empty() && (text.find("unsubscribe_link") != std::string::npos ||
                                               text.find("consent_link") != std::string::npos)) {
        return FailedPreconditionError("campaign " + campaign_id + " sends links but the practice has no "
                                       "public_base_url (practice settings set --json "
                                       "'{\"public_base_url\":\"https://...\"}')");
      }
      // The minimum-necessary record holds no appointment: a template that
      // names one could never be rendered, so refuse now rather than cancel
      // every message at send time.
      if (text.find("appointment_date") != std::string::npos || text.find("appointment_time") != std::string::npos) {
        return FailedPreconditionError("campaign " + campaign_id + " uses {{appointment_date}} or "
                                       "{{appointment_time}}, which Recall does not hold (no appointment field "
                                       "is imported); word the reminder without them");
      }
      if (settings.office_hours.empty() && text.find("office_hours") != std::string::npos) {
        return FailedPreconditionError("campaign " + campaign_id + " uses {{office_hours}} but the practice has "
                                       "none in its settings");
      }
      if (settings.portal_url.empty() && text.find("portal_link") != std::string::npos) {
        return FailedPreconditionError("campaign " + campaign_id + " uses {{portal_link}} but the practice has no "
                                       "portal_url in its settings");
      }
    }
  }
  const TimePoint now = engine.clock().Now();
  TimePoint start = now;
  if (!campaign.schedule_start.empty()) {
    ASSIGN_OR_RETURN(TimePoint scheduled, LocalToInstant(campaign.schedule_start, practice.timezone));
    start = std::max(start, scheduled);
  }
  std::vector<store::StepRunRow> runs;
  TimePoint due = start;
  for (size_t i = 0; i < campaign.steps.size(); ++i) {
    due += std::chrono::hours(campaign.steps[i].delay_hours);
    store::StepRunRow r;
    r.practice_id = practice_id;
    r.campaign_id = campaign_id;
    r.step = static_cast<int>(i);
    r.due_at = due;
    runs.push_back(r);
  }
  if (runs.empty()) return FailedPreconditionError("campaign " + campaign_id + " has no steps");
  RETURN_IF_ERROR(engine.store().runs().StartRun(
      runs, engine.Event("campaign.start", practice_id, campaign_id,
                         {{"steps", static_cast<int64_t>(runs.size())},
                          {"first_due", FormatRfc3339Millis(runs.front().due_at)}})));
  RETURN_IF_ERROR(campaigns::Advance(engine, practice_id, campaign_id, campaigns::kScheduled));
  ASSIGN_OR_RETURN(campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  return StatusOf(engine, campaign);
}

Status PauseCampaign(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id) {
  ASSIGN_OR_RETURN(store::CampaignRow campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  if (campaign.state == kPaused) return OkStatus();
  if (campaign.state != campaigns::kScheduled && campaign.state != campaigns::kRunning) {
    return FailedPreconditionError("campaign " + campaign_id + " is " + campaign.state + "; only a scheduled or "
                                   "running campaign can pause");
  }
  return engine.store().campaigns().SetState(
      practice_id, campaign_id, campaign.state, kPaused, campaign.revision,
      engine.Event("campaign.pause", practice_id, campaign_id, {{"from_state", campaign.state}}));
}

Status ResumeCampaign(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id) {
  ASSIGN_OR_RETURN(store::CampaignRow campaign, engine.store().campaigns().GetCampaign(practice_id, campaign_id));
  if (campaign.state != kPaused) {
    return FailedPreconditionError("campaign " + campaign_id + " is " + campaign.state + ", not paused");
  }
  ASSIGN_OR_RETURN(auto runs, engine.store().runs().StepRuns(practice_id, campaign_id));
  const bool begun = !runs.empty() && runs[0].planned;
  // Back to scheduled first: CheckDispatchable accepts only live states.
  RETURN_IF_ERROR(engine.store().campaigns().SetState(
      practice_id, campaign_id, kPaused, std::string(campaigns::kScheduled), campaign.revision,
      engine.Event("campaign.resume", practice_id, campaign_id, {{"to_state", begun ? "running" : "scheduled"}})));
  if (Status ok = campaigns::CheckDispatchable(engine, practice_id, campaign_id); !ok.ok()) {
    (void)engine.store().campaigns().SetState(
        practice_id, campaign_id, std::string(campaigns::kScheduled), kPaused, campaign.revision,
        engine.Event("campaign.pause", practice_id, campaign_id, {{"reason", "not_dispatchable"}}));
    return ok;
  }
  if (begun) return campaigns::Advance(engine, practice_id, campaign_id, campaigns::kRunning);
  return OkStatus();
}

StatusOr<std::vector<std::string>> CompleteFinishedCampaigns(engine::Engine& engine) {
  std::vector<std::string> done;
  ASSIGN_OR_RETURN(auto practices, engine.store().practices().List());
  for (const auto& practice : practices) {
    ASSIGN_OR_RETURN(auto list, engine.store().campaigns().ListCampaigns(practice.practice_id));
    for (const auto& c : list) {
      if (c.state != campaigns::kRunning) continue;
      ASSIGN_OR_RETURN(auto runs, engine.store().runs().StepRuns(c.practice_id, c.campaign_id));
      bool all_planned = !runs.empty();
      for (const auto& r : runs) all_planned = all_planned && r.planned;
      if (!all_planned) continue;
      ASSIGN_OR_RETURN(auto counts, engine.store().outbox().CountByState(c.practice_id, c.campaign_id));
      if (counts.queued != 0 || counts.leased != 0) continue;
      RETURN_IF_ERROR(campaigns::Advance(engine, c.practice_id, c.campaign_id, campaigns::kCompleted));
      done.push_back(c.campaign_id);
    }
  }
  return done;
}

}  // namespace recall::planner
