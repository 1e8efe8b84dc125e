#include "planner/planner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "campaigns/campaigns.h"
#include "common/random.h"
#include "consent/snapshot.h"
#include "planner/schedule.h"
#include "practices/settings.h"
#include "store/run_store.h"

namespace recall::planner {

namespace {

using consent::Block;

// The message channels a step may use, in the order tried.
std::vector<std::string> ChannelsOf(const store::CampaignStepRow& step) {
  std::vector<std::string> out{step.channel};
  out.insert(out.end(), step.fallback.begin(), step.fallback.end());
  return out;
}

std::string PrimarySubtag(std::string_view tag) {
  std::string out(tag.substr(0, tag.find('-')));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The variant for `language` among one channel's variants: exact tag, then the
// same primary language ("es" for "es-MX" and back). "" when none.
std::string MatchLanguage(const std::vector<std::string>& languages, const std::string& language) {
  for (const auto& l : languages) {
    if (l == language) return l;
  }
  const std::string primary = PrimarySubtag(language);
  for (const auto& l : languages) {
    if (PrimarySubtag(l) == primary) return l;
  }
  return "";
}

// What the planner knows about one practice while planning one step.
struct Context {
  const store::CampaignRow* campaign = nullptr;
  const store::CampaignStepRow* step = nullptr;
  const practices::PracticeSettings* settings = nullptr;
  const consent::ConsentSnapshot* consent = nullptr;
  consent::Purpose purpose = consent::Purpose::kCare;
  std::unordered_map<std::string, std::vector<std::string>> languages;  // channel -> variant languages
  std::unordered_set<std::string> invalid;                              // patient|channel|index
  std::unordered_map<std::string, int64_t> weekly;                      // patient|channel -> sends
  std::unordered_set<std::string> responders;
};

struct Choice {
  std::string decision;  // store::kPlan*
  std::string reason;
  std::string channel, language;
};

// One channel's verdict for one patient: "" when usable (language set), else
// the skip reason.
std::string TryChannel(const Context& ctx, const store::PatientRow& p, const std::string& channel,
                       std::string* language) {
  auto parsed = consent::ParseChannel(channel);
  if (!parsed.ok()) return "no_channel";
  const bool email = channel == "email";
  const std::string& index = email ? p.email_index : p.phone_index;
  if (index.empty()) return "no_channel";
  // Only a line the export or a carrier lookup called mobile takes SMS.
  if (channel == "sms" && p.phone_line_type != "mobile") return "no_channel";
  const std::string contact_key = std::string(email ? "email" : "phone");
  if (ctx.invalid.count(p.patient_id + "|" + channel + "|" + index) != 0) return "invalid_contact";
  switch (ctx.consent->Check(p, *parsed, ctx.purpose)) {
    case Block::kAllowed:
      break;
    case Block::kRevoked:
      return "opted_out";
    case Block::kNoConsent:
      return "no_consent";
    case Block::kContactChanged:
    case Block::kNumberReassigned:
      return "invalid_contact";
  }
  auto langs = ctx.languages.find(channel);
  if (langs == ctx.languages.end()) return "no_language";
  std::string chosen = MatchLanguage(langs->second, p.language);
  if (chosen.empty() && ctx.settings->language_policy == "default") {
    chosen = MatchLanguage(langs->second, ctx.settings->default_language);
  }
  if (chosen.empty()) return "no_language";
  if (ctx.settings->cap_per_week > 0) {
    auto sent = ctx.weekly.find(p.patient_id + "|" + channel);
    if (sent != ctx.weekly.end() && sent->second >= ctx.settings->cap_per_week) return "cap_reached";
  }
  *language = chosen;
  return "";
}

Choice Decide(const Context& ctx, const store::PatientRow& p) {
  if (ctx.step->condition == store::kStepNoResponse && ctx.responders.count(p.patient_id) != 0) {
    return {store::kPlanSkipped, "responded", "", ""};
  }
  if (ctx.step->channel == "call_list") {
    // A person phoning the patient is still contact: an opt-out stops it.
    if (ctx.consent->Check(p, consent::Channel::kVoice, ctx.purpose) == Block::kRevoked) {
      return {store::kPlanSkipped, "opted_out", "", ""};
    }
    if (p.phone_index.empty()) return {store::kPlanSkipped, "no_channel", "", ""};
    return {store::kPlanCallList, "ok", "", ""};
  }
  if (ctx.campaign->kind == "consent_confirmation") {
    // Only patients with an email address and no SMS consent for the purpose.
    if (p.email_index.empty()) return {store::kPlanSkipped, "no_channel", "", ""};
    const Block sms = ctx.consent->Check(p, consent::Channel::kSms, ctx.purpose);
    if (sms == Block::kAllowed) return {store::kPlanSkipped, "already_consented", "", ""};
    if (sms == Block::kRevoked) return {store::kPlanSkipped, "opted_out", "", ""};
  }
  std::string primary_reason;
  bool opted_out = false, no_language = false;
  const std::vector<std::string> channels = ChannelsOf(*ctx.step);
  for (size_t i = 0; i < channels.size(); ++i) {
    std::string language;
    std::string reason = TryChannel(ctx, p, channels[i], &language);
    if (reason.empty()) return {store::kPlanPlanned, "ok", channels[i], language};
    if (i == 0) primary_reason = reason;
    opted_out = opted_out || reason == "opted_out";
    no_language = no_language || reason == "no_language";
  }
  if (opted_out) return {store::kPlanSkipped, "opted_out", "", ""};
  if (no_language) return {store::kPlanCallList, "no_language", "", ""};
  return {store::kPlanSkipped, primary_reason, "", ""};
}

// Gives every planned entry its outbox message id: "msg_" + 8 hex digits of a
// sequence (a random 32-bit start for this run, +1 per message) + 16 hex digits
// of per-message randomness (64 bits; the ids stay unguessable). Ids of one run
// sort in insertion order (but for one wrap of the sequence), so the outbox's
// (practice_id, message_id) key grows at one edge instead of at a random page
// per row: 400,000 inserts into the outbox schema took 3.3 s instead of 6.4 s
// with random "msg_<20 hex>" ids (bench/README.md, issue 5).
Status AssignMessageIds(Random& random, std::vector<store::PlanEntryRow>& entries) {
  constexpr size_t kChunk = 4096;  // ids per CSPRNG call
  ASSIGN_OR_RETURN(std::string start, random.Bytes(4));
  uint32_t seq = 0;
  for (unsigned char c : start) seq = (seq << 8) | c;
  std::string noise;
  size_t used = 0;
  char head[9];
  for (auto& e : entries) {
    if (e.decision != store::kPlanPlanned) continue;
    if (used == noise.size()) {
      ASSIGN_OR_RETURN(noise, random.Bytes(8 * kChunk));
      used = 0;
    }
    std::snprintf(head, sizeof(head), "%08x", seq++);
    e.message_id = "msg_";
    e.message_id.append(head, 8);
    e.message_id += HexEncode(std::string_view(noise).substr(used, 8));
    used += 8;
  }
  return OkStatus();
}

StatusOr<PlanResult> Summarise(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id,
                               int step) {
  ASSIGN_OR_RETURN(auto entries, engine.store().runs().ListPlan(practice_id, campaign_id, step, ""));
  PlanResult r;
  r.campaign_id = campaign_id;
  r.step = step;
  for (const auto& e : entries) {
    ++r.considered;
    if (e.decision == store::kPlanPlanned) {
      ++r.planned;
      ++r.channels[e.channel];
    } else if (e.decision == store::kPlanCallList) {
      ++r.call_list;
    } else {
      ++r.skipped[e.reason];
    }
  }
  return r;
}

}  // namespace

StatusOr<PlanResult> PlanStep(engine::Engine& engine, const std::string& practice_id, const std::string& campaign_id,
                              int step_index, const PlanOptions& options) {
  if (options.batch_size < 1) return InvalidArgumentError("batch size must be positive");
  store::Store& store = engine.store();
  ASSIGN_OR_RETURN(store::CampaignRow campaign, store.campaigns().GetCampaign(practice_id, campaign_id));
  RETURN_IF_ERROR(campaigns::CheckDispatchable(engine, practice_id, campaign_id));
  ASSIGN_OR_RETURN(auto runs, store.runs().StepRuns(practice_id, campaign_id));
  if (step_index < 0 || static_cast<size_t>(step_index) >= runs.size() ||
      static_cast<size_t>(step_index) >= campaign.steps.size()) {
    return FailedPreconditionError("campaign " + campaign_id + " has no started step " + std::to_string(step_index));
  }
  if (runs[step_index].planned) return Summarise(engine, practice_id, campaign_id, step_index);
  if (step_index > 0 && !runs[step_index - 1].planned) {
    return FailedPreconditionError("step " + std::to_string(step_index) + " of " + campaign_id +
                                   " waits for the step before it");
  }
  const TimePoint now = engine.clock().Now();
  ASSIGN_OR_RETURN(practices::PracticeSettings settings, practices::GetSettings(engine, practice_id));
  ASSIGN_OR_RETURN(campaigns::Segment segment, campaigns::ParseSegment(campaign.segment_json));
  ASSIGN_OR_RETURN(consent::ConsentSnapshot snapshot, consent::ConsentSnapshot::Load(engine, practice_id, now));

  Context ctx;
  ctx.campaign = &campaign;
  ctx.step = &campaign.steps[step_index];
  ctx.settings = &settings;
  ctx.consent = &snapshot;
  ASSIGN_OR_RETURN(ctx.purpose, consent::ParsePurpose(campaign.purpose));
  for (const auto& v : ctx.step->variants) ctx.languages[v.channel].push_back(v.language);
  ASSIGN_OR_RETURN(auto invalid, store.runs().InvalidContacts(practice_id));
  for (const auto& c : invalid) ctx.invalid.insert(c.patient_id + "|" + c.channel + "|" + c.contact_index);
  ASSIGN_OR_RETURN(auto sent, store.outbox().SentCountsSince(practice_id, now - std::chrono::hours(24 * 7)));
  for (const auto& s : sent) ctx.weekly[s.patient_id + "|" + s.channel] = s.count;
  if (ctx.step->condition == store::kStepNoResponse) {
    ASSIGN_OR_RETURN(auto responders, store.runs().RespondersSince(practice_id, runs[0].due_at));
    ctx.responders.insert(responders.begin(), responders.end());
  }

  // The cohort: step 0 takes the segment; later steps the patients step 0 considered.
  std::unordered_set<std::string> cohort;
  if (step_index > 0) {
    ASSIGN_OR_RETURN(auto first, store.runs().ListPlan(practice_id, campaign_id, 0, ""));
    for (auto& e : first) cohort.insert(std::move(e.patient_id));
  }
  std::unordered_set<std::string> done;  // entries a crashed run already committed
  {
    ASSIGN_OR_RETURN(auto existing, store.runs().ListPlan(practice_id, campaign_id, step_index, ""));
    for (auto& e : existing) done.insert(std::move(e.patient_id));
  }

  std::vector<store::PlanEntryRow> entries;
  RETURN_IF_ERROR(store.patients().Scan(practice_id, [&](const store::PatientRow& p) {
    if (step_index == 0 ? !campaigns::SegmentMatches(segment, p) : cohort.count(p.patient_id) == 0) return true;
    if (done.count(p.patient_id) != 0) return true;
    Choice choice = Decide(ctx, p);
    store::PlanEntryRow e;
    e.practice_id = practice_id;
    e.campaign_id = campaign_id;
    e.step = step_index;
    e.patient_id = p.patient_id;
    e.decision = std::move(choice.decision);
    e.reason = std::move(choice.reason);
    e.channel = std::move(choice.channel);
    e.language = std::move(choice.language);
    e.planned_at = now;
    entries.push_back(std::move(e));
    return true;
  }));
  RETURN_IF_ERROR(AssignMessageIds(engine.random(), entries));

  const TimePoint due = runs[step_index].due_at;
  for (size_t begin = 0; begin < entries.size(); begin += static_cast<size_t>(options.batch_size)) {
    const size_t end = std::min(entries.size(), begin + static_cast<size_t>(options.batch_size));
    std::vector<store::PlanEntryRow> batch(std::make_move_iterator(entries.begin() + begin),
                                           std::make_move_iterator(entries.begin() + end));
    std::vector<store::OutboxRow> rows;
    int64_t planned = 0, skipped = 0, listed = 0;
    for (const auto& e : batch) {
      if (e.decision == store::kPlanPlanned) {
        ++planned;
        store::OutboxRow r;
        r.message_id = e.message_id;
        r.practice_id = practice_id;
        r.campaign_id = campaign_id;
        r.step = step_index;
        r.patient_id = e.patient_id;
        r.channel = e.channel;
        r.purpose = campaign.purpose;
        r.language = e.language;
        r.not_before = due;
        rows.push_back(std::move(r));
      } else if (e.decision == store::kPlanCallList) {
        ++listed;
      } else {
        ++skipped;
      }
    }
    RETURN_IF_ERROR(store.runs()
                        .CommitPlan(batch, rows,
                                    engine.Event("campaign.plan_batch", practice_id, campaign_id,
                                                 {{"step", int64_t{step_index}},
                                                  {"planned", planned},
                                                  {"skipped", skipped},
                                                  {"call_list", listed}}))
                        .status());
  }
  std::vector<store::PlanEntryRow>().swap(entries);  // committed: free them before Summarise reads them back

  ASSIGN_OR_RETURN(PlanResult result, Summarise(engine, practice_id, campaign_id, step_index));
  audit::Details details{{"step", int64_t{step_index}},
                         {"considered", result.considered},
                         {"planned", result.planned},
                         {"call_list", result.call_list}};
  for (const auto& [reason, n] : result.skipped) details["skipped_" + reason] = n;
  RETURN_IF_ERROR(store.runs().MarkStepPlanned(practice_id, campaign_id, step_index, now,
                                               engine.Event("campaign.plan_step", practice_id, campaign_id, details)));
  return result;
}

StatusOr<std::vector<PlanResult>> PlanDueSteps(engine::Engine& engine, const PlanOptions& options) {
  std::vector<PlanResult> out;
  // A step's successor can fall due in the same tick; loop until none is left.
  for (int round = 0; round < 64; ++round) {
    ASSIGN_OR_RETURN(auto due, engine.store().runs().DueSteps(engine.clock().Now(), 16));
    if (due.empty()) break;
    bool progressed = false;
    for (const auto& run : due) {
      ASSIGN_OR_RETURN(auto campaign, engine.store().campaigns().GetCampaign(run.practice_id, run.campaign_id));
      if (campaign.state == campaigns::kScheduled) {
        RETURN_IF_ERROR(campaigns::Advance(engine, run.practice_id, run.campaign_id, campaigns::kRunning));
      }
      auto planned = PlanStep(engine, run.practice_id, run.campaign_id, run.step, options);
      if (!planned.ok()) {
        if (planned.status().code() == StatusCode::kFailedPrecondition) continue;  // not dispatchable: held
        return planned.status();
      }
      out.push_back(std::move(*planned));
      progressed = true;
    }
    if (!progressed) break;
  }
  return out;
}

}  // namespace recall::planner
