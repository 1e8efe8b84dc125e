#include "dispatch/worker.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <thread>

#include <unistd.h>

#include "campaigns/campaigns.h"
#include "campaigns/speech.h"
#include "consent/consent.h"
#include "dispatch/feedback.h"
#include "dispatch/gate.h"
#include "dispatch/render.h"
#include "incidents/incidents.h"
#include "planner/planner.h"
#include "practices/settings.h"

namespace recall::dispatch {

namespace {

namespace fs = std::filesystem;

// Patient fields are sealed to the practice and the patient's blind external
// index (src/patients/patients.cc).
StatusOr<std::string> OpenField(const crypto::PracticeKeys& keys, const store::PatientRow& row,
                                const std::string& sealed, const char* field) {
  if (sealed.empty()) return std::string();
  return keys.DecryptField(sealed, std::string("patient.") + field + "|" + row.practice_id + "|" + row.external_index);
}

// The window the campaign and the practice both allow ("" = none of their own).
StatusOr<SendWindow> EffectiveWindow(const store::CampaignRow& campaign, const practices::PracticeSettings& settings) {
  SendWindow window;
  if (!campaign.schedule_window_start.empty()) {
    ASSIGN_OR_RETURN(window,
                     SendWindow::Parse(campaign.schedule_window_start + "-" + campaign.schedule_window_end));
  }
  if (!settings.send_window.empty()) {
    ASSIGN_OR_RETURN(SendWindow practice, SendWindow::Parse(settings.send_window));
    window.start_minute = std::max(window.start_minute, practice.start_minute);
    window.end_minute = std::min(window.end_minute, practice.end_minute);
    if (window.start_minute >= window.end_minute) {
      return FailedPreconditionError("the campaign's and the practice's send windows do not overlap");
    }
  }
  return window;
}

// The template version the campaign pins for (step, channel, language); the
// step's only language for that channel when `language` is "".
StatusOr<store::TemplateRow> VariantFor(engine::Engine& engine, const store::CampaignRow& campaign, int step,
                                        const std::string& channel, const std::string& language) {
  if (step < 0 || static_cast<size_t>(step) >= campaign.steps.size()) {
    return NotFoundError("campaign " + campaign.campaign_id + " has no step " + std::to_string(step));
  }
  const store::StepVariantRow* chosen = nullptr;
  for (const auto& v : campaign.steps[step].variants) {
    if (v.channel != channel) continue;
    if (v.language == language || (language.empty() && chosen == nullptr)) chosen = &v;
  }
  if (chosen == nullptr) {
    return NotFoundError("campaign " + campaign.campaign_id + " has no " + channel + " variant for the message");
  }
  return engine.store().campaigns().GetTemplate(campaign.practice_id, chosen->template_id, chosen->template_version);
}

}  // namespace

void WorkerStats::Add(const WorkerStats& o) {
  claimed += o.claimed;
  sent += o.sent;
  deferred += o.deferred;
  cancelled += o.cancelled;
  retried += o.retried;
  failed += o.failed;
  lease_lost += o.lease_lost;
  steps_planned += o.steps_planned;
  campaigns_completed += o.campaigns_completed;
}

Worker::Worker(engine::Engine& engine, const scanner::Scanner& scanner, ChannelSource& channels,
               WorkerOptions options)
    : engine_(engine), scanner_(scanner), channels_(channels), options_(std::move(options)) {
  if (options_.worker_id.empty()) {
    auto id = engine_.random().NewId("wrk");
    options_.worker_id = id.ok() ? *id : "wrk_default";
  }
  if (options_.spool_dir.empty()) options_.spool_dir = (fs::path(engine_.data_dir()) / "spool").string();
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); };
  }
  options_.batch = std::max(1, options_.batch);
}

StatusOr<WorkerStats> Worker::Tick() {
  WorkerStats stats;
  if (options_.plan) {
    ASSIGN_OR_RETURN(auto planned, planner::PlanDueSteps(engine_));
    stats.steps_planned = static_cast<int64_t>(planned.size());
  }
  const TimePoint now = engine_.clock().Now();
  ASSIGN_OR_RETURN(auto rows,
                   engine_.store().outbox().Claim(now, now + options_.lease, options_.worker_id, options_.batch));
  stats.claimed = static_cast<int64_t>(rows.size());
  for (const auto& row : rows) RETURN_IF_ERROR(Process(row, &stats));
  ASSIGN_OR_RETURN(auto completed, planner::CompleteFinishedCampaigns(engine_));
  stats.campaigns_completed = static_cast<int64_t>(completed.size());
  // Urgent hand-offs left unacknowledged: one PHI-free note to the on-call contact.
  RETURN_IF_ERROR(EscalateOverdueHandoffs(engine_, channels_, engine_.clock().Now()).status());
  return stats;
}

StatusOr<WorkerStats> Worker::RunUntilIdle() {
  WorkerStats total;
  for (;;) {
    ASSIGN_OR_RETURN(WorkerStats tick, Tick());
    total.Add(tick);
    if (tick.claimed == 0 && tick.steps_planned == 0) break;
  }
  RETURN_IF_ERROR(engine_.CheckpointAudit().status());
  return total;
}

StatusOr<WorkerStats> Worker::Run(const std::atomic<bool>& stop, std::chrono::milliseconds idle_poll) {
  WorkerStats total;
  TimePoint last_checkpoint = engine_.clock().Now();
  while (!stop.load()) {
    ASSIGN_OR_RETURN(WorkerStats tick, Tick());
    total.Add(tick);
    // A long-running worker signs the audit chain head every few minutes, so
    // that a quiet period still ends under a signed checkpoint.
    if (engine_.clock().Now() - last_checkpoint >= options_.checkpoint_every) {
      RETURN_IF_ERROR(engine_.CheckpointAudit().status());
      last_checkpoint = engine_.clock().Now();
    }
    if (tick.claimed > 0 || tick.steps_planned > 0) continue;
    // Idle: wait for the next due message, at most idle_poll, in small slices
    // so that a stop request is honoured promptly.
    ASSIGN_OR_RETURN(TimePoint next, engine_.store().outbox().NextDue());
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(idle_poll);
    if (next != TimePoint()) {
      wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next - engine_.clock().Now()),
                        std::chrono::milliseconds(0), wait);
    }
    for (auto slept = std::chrono::milliseconds(0); slept < wait && !stop.load();
         slept += std::chrono::milliseconds(50)) {
      options_.sleep(std::min(std::chrono::milliseconds(50), wait - slept));
    }
  }
  return total;
}

Status Worker::Process(const store::OutboxRow& row, WorkerStats* stats) {
  store::Store& store = engine_.store();
  const store::OutboxLease lease = store::LeaseOf(row);
  const std::string& practice_id = row.practice_id;
  // A transition the store refuses because our lease is gone (another worker
  // took the row after it expired) is not an error of this worker.
  auto record = [&](Status s) -> Status {
    if (s.code() == StatusCode::kFailedPrecondition) {
      ++stats->lease_lost;
      return OkStatus();
    }
    return s;
  };
  auto event = [&](const char* action) { return engine_.Event(action, practice_id, row.message_id); };
  auto cancel = [&](const std::string& reason) -> Status {
    ++stats->cancelled;
    return record(store.outbox().MarkCancelled(lease, reason, event("dispatch.cancelled")));
  };
  auto fail = [&](const std::string& reason) -> Status {
    ++stats->failed;
    return record(store.outbox().MarkFailed(lease, reason, event("dispatch.failed")));
  };

  ASSIGN_OR_RETURN(store::PracticeRow practice, store.practices().Get(practice_id));
  ASSIGN_OR_RETURN(practices::PracticeSettings settings, practices::GetSettings(engine_, practice_id));
  auto campaign = store.campaigns().GetCampaign(practice_id, row.campaign_id);
  if (!campaign.ok()) {
    if (campaign.status().code() == StatusCode::kNotFound) return cancel("campaign_gone");
    return campaign.status();
  }
  // Retry backoff: exponential from backoff_base, capped, with "equal jitter"
  // (half fixed, half random) so that retries of a burst spread out.
  auto retry = [&](const std::string& reason) -> Status {
    if (row.attempts >= settings.max_attempts) return fail("retries_exhausted");
    const int shift = std::min(row.attempts - 1, 20);
    auto delay = std::min<std::chrono::seconds>(options_.backoff_base * (int64_t{1} << std::max(0, shift)),
                                                options_.backoff_max);
    const auto half = std::chrono::duration_cast<std::chrono::milliseconds>(delay) / 2;
    ASSIGN_OR_RETURN(uint64_t jitter, engine_.random().Uniform(static_cast<uint64_t>(half.count()) + 1));
    const TimePoint at = engine_.clock().Now() + half + std::chrono::milliseconds(jitter);
    ++stats->retried;
    return record(store.outbox().MarkRetry(lease, at, reason, event("dispatch.retry")));
  };
  if (row.delivery == store::kDeliveryDelivered) {
    // An earlier attempt did reach the patient (its delivery report arrived
    // after an ambiguous failure): record it as sent, never send it twice.
    ++stats->sent;
    return record(store.outbox().MarkSent(lease, row.provider_id.empty() ? "delivery-report" : row.provider_id,
                                          event("dispatch.sent")));
  }
  if (campaign->state != campaigns::kRunning) {
    // Claimed just as the campaign was paused or changed: hold it.
    ++stats->deferred;
    return record(store.outbox().Defer(lease, engine_.clock().Now() + std::chrono::minutes(5), "campaign_not_running",
                                       event("dispatch.held")));
  }

  // 1. The gate, now.
  auto window = EffectiveWindow(*campaign, settings);
  if (!window.ok()) return cancel("send_window_empty");
  GateRequest request;
  request.practice_id = practice_id;
  request.campaign_id = row.campaign_id;
  request.patient_id = row.patient_id;
  request.channel = row.channel;
  request.purpose = row.purpose;
  request.subject = row.campaign_id;
  ASSIGN_OR_RETURN(auto sends, store.outbox().RecentSends(practice_id, row.patient_id,
                                                          engine_.clock().Now() - std::chrono::hours(24 * 8)));
  for (const auto& s : sends) request.recent_sends.push_back({s.sent_at, s.channel, s.campaign_id, s.campaign_id});
  CapPolicy caps;
  caps.per_day = settings.cap_per_day;
  caps.per_week = settings.cap_per_week;
  auto decision = Gate(engine_).Check(request, *window, caps);
  if (!decision.ok()) {
    if (decision.status().code() == StatusCode::kNotFound) return cancel("patient_gone");
    if (decision.status().code() == StatusCode::kInvalidArgument) return cancel("invalid_request");
    return retry("gate_unavailable");
  }
  if (decision->verdict == GateVerdict::kCancel) return cancel(decision->reason);
  if (decision->verdict == GateVerdict::kDefer) {
    ++stats->deferred;
    return record(store.outbox().Defer(lease, decision->not_before, decision->reason, event("dispatch.deferred")));
  }

  // 2. Render the approved variant for this patient.
  auto template_row = VariantFor(engine_, *campaign, row.step, row.channel, row.language);
  if (!template_row.ok()) return cancel("no_variant");
  ASSIGN_OR_RETURN(store::PatientRow patient, store.patients().Get(practice_id, row.patient_id));
  ASSIGN_OR_RETURN(auto keys, engine_.KeysFor(practice_id));
  ASSIGN_OR_RETURN(std::string first_name, OpenField(*keys, patient, patient.first_name_enc, "first_name"));
  consent::ConsentVault vault(engine_);
  RenderRequest render;
  render.practice = &practice;
  render.settings = &settings;
  render.campaign = &*campaign;
  render.template_row = &*template_row;
  render.patient = &patient;
  render.first_name = first_name;
  render.address = decision->address;
  render.message_id = row.message_id;
  if (!settings.public_base_url.empty()) {
    ASSIGN_OR_RETURN(std::string token, vault.UnsubscribeToken(practice_id, patient.patient_id));
    render.unsubscribe_url = settings.public_base_url + "/u/" + token;
    if (campaign->kind == "consent_confirmation") {
      ASSIGN_OR_RETURN(auto purpose, consent::ParsePurpose(campaign->purpose));
      ASSIGN_OR_RETURN(std::string confirm, vault.ConfirmationToken(practice_id, patient.patient_id, purpose));
      render.consent_url = settings.public_base_url + "/c/" + confirm;
    }
  }
  auto rendered = RenderMessage(scanner_, render);
  if (!rendered.ok()) return cancel("render_failed");
  if (rendered->blocked) {
    // The found-phone test failed on the message itself (a value carried
    // clinical words): never sent, and a person must look: an incident.
    Status cancelled = cancel("scanner_block");
    (void)incidents::OnScannerBlockAfterApproval(engine_, practice_id, row.campaign_id, row.message_id);
    return cancelled;
  }
  channels::OutboundMessage& message = rendered->message;

  // Voice and ringless voicemail: the approved script, spoken.
  std::string wav;
  if (!rendered->spoken.empty()) {
    std::error_code ec;
    fs::create_directories(options_.spool_dir, ec);
    fs::permissions(options_.spool_dir, fs::perms::owner_all, ec);
    wav = (fs::path(options_.spool_dir) / (row.message_id + ".wav")).string();
    if (Status spoken = campaigns::SpeakToWav(options_.espeak_binary, template_row->language, rendered->spoken, wav);
        !spoken.ok()) {
      return retry("speech_unavailable");
    }
    message.audio_path = wav;
  }
  struct RemoveWav {
    std::string path;
    ~RemoveWav() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } remove_wav{wav};

  // 3. The sender's rate limit, then the provider.
  auto channel = channels_.ChannelFor(practice_id, row.channel);
  if (!channel.ok()) return retry("no_transport");
  const auto wait = limiter_.Acquire(practice_id + "|" + row.channel, channels_.RateFor(practice_id, row.channel),
                                     engine_.clock().Now());
  if (wait.count() > 0) options_.sleep(wait);
  auto receipt = (*channel)->Send(message);
  if (receipt.ok()) {
    ++stats->sent;
    return record(store.outbox().MarkSent(lease, receipt->provider_id, event("dispatch.sent")));
  }
  const Status& error = receipt.status();
  if (channels::IsHardBounce(error)) {
    RETURN_IF_ERROR(fail("hard_bounce"));
    const std::string& index = row.channel == "email" ? patient.email_index : patient.phone_index;
    store::InvalidContactRow invalid{practice_id, patient.patient_id, row.channel, index, "hard_bounce",
                                     row.message_id, engine_.clock().Now()};
    return store.runs().MarkContactInvalid(
        invalid, engine_.Event("contact.invalid", practice_id, patient.subject,
                               {{"channel", row.channel}, {"message_id", row.message_id}, {"reason", "hard_bounce"}}));
  }
  switch (error.code()) {
    case StatusCode::kInvalidArgument:
      return fail("invalid_message");
    case StatusCode::kFailedPrecondition:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return fail("provider_refused");
    default:
      return retry("transient");
  }
}

}  // namespace recall::dispatch
