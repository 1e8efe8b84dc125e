// dispatch commands: campaign start|pause|resume|report|call-list, worker,
// delivery report, consent confirm, practice settings.
#include <csignal>
#include <filesystem>

#include "channels/config.h"
#include "cli/cli.h"
#include "dispatch/feedback.h"
#include "dispatch/channel_source.h"
#include "dispatch/worker.h"
#include "planner/planner.h"
#include "practices/settings.h"
#include "reports/report.h"

namespace recall::cli {

using nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }

json StatsJson(const dispatch::WorkerStats& s, const std::string& worker_id) {
  return {{"worker_id", worker_id},
          {"claimed", s.claimed},
          {"sent", s.sent},
          {"deferred", s.deferred},
          {"cancelled", s.cancelled},
          {"retried", s.retried},
          {"failed", s.failed},
          {"lease_lost", s.lease_lost},
          {"steps_planned", s.steps_planned},
          {"campaigns_completed", s.campaigns_completed}};
}

struct CampaignRef {
  std::string practice, campaign;
};

CLI::App* CampaignCommand(CLI::App& parent, const char* name, const char* help, std::shared_ptr<CampaignRef> ref) {
  auto* cmd = parent.add_subcommand(name, help);
  cmd->add_option("--practice", ref->practice, "practice id")->required();
  cmd->add_option("--campaign", ref->campaign, "campaign id")->required();
  return cmd;
}

}  // namespace

void RegisterDispatchCommands(CLI::App& app, Context& ctx) {
  // --- campaign start|pause|resume|report|call-list ------------------------
  CLI::App* campaign = app.get_subcommand("campaign");

  auto start_ref = std::make_shared<CampaignRef>();
  CampaignCommand(*campaign, "start", "start an approved campaign: schedule its steps (the worker sends)", start_ref)
      ->callback(Command(ctx, [&ctx, start_ref]() -> Status {
        ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
        ASSIGN_OR_RETURN(auto run, planner::StartCampaign(*engine, start_ref->practice, start_ref->campaign));
        json due = json::array();
        for (int64_t ms : run.step_due_ms) {
          due.push_back(FormatRfc3339Millis(TimePoint(std::chrono::milliseconds(ms))));
        }
        ctx.Emit({{"campaign_id", run.campaign_id}, {"state", run.state}, {"steps_due", due}});
        return OkStatus();
      }));

  auto pause_ref = std::make_shared<CampaignRef>();
  CampaignCommand(*campaign, "pause", "pause a campaign: its queued messages are held", pause_ref)
      ->callback(Command(ctx, [&ctx, pause_ref]() -> Status {
        ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
        RETURN_IF_ERROR(planner::PauseCampaign(*engine, pause_ref->practice, pause_ref->campaign));
        ctx.Emit({{"campaign_id", pause_ref->campaign}, {"state", planner::kPaused}});
        return OkStatus();
      }));

  auto resume_ref = std::make_shared<CampaignRef>();
  CampaignCommand(*campaign, "resume", "resume a paused campaign (re-checks its approval)", resume_ref)
      ->callback(Command(ctx, [&ctx, resume_ref]() -> Status {
        ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
        RETURN_IF_ERROR(planner::ResumeCampaign(*engine, resume_ref->practice, resume_ref->campaign));
        ASSIGN_OR_RETURN(auto row, engine->store().campaigns().GetCampaign(resume_ref->practice, resume_ref->campaign));
        ctx.Emit({{"campaign_id", row.campaign_id}, {"state", row.state}});
        return OkStatus();
      }));

  auto report_ref = std::make_shared<CampaignRef>();
  CampaignCommand(*campaign, "report", "what the campaign did: counts, replies, reactivations, ROI", report_ref)
      ->callback(Command(ctx, [&ctx, report_ref]() -> Status {
        ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
        ASSIGN_OR_RETURN(auto report, reports::BuildReport(*engine, report_ref->practice, report_ref->campaign));
        ctx.Emit(reports::ReportJson(report));
        return OkStatus();
      }));

  auto calls_ref = std::make_shared<CampaignRef>();
  CampaignCommand(*campaign, "call-list", "patients listed for a staff phone call (ids only)", calls_ref)
      ->callback(Command(ctx, [&ctx, calls_ref]() -> Status {
        ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
        ASSIGN_OR_RETURN(auto list, reports::CallList(*engine, calls_ref->practice, calls_ref->campaign));
        json out = json::array();
        for (const auto& e : list) {
          out.push_back({{"step", e.step + 1}, {"patient_id", e.patient_id}, {"reason", e.reason}});
        }
        ctx.Emit({{"campaign_id", calls_ref->campaign}, {"entries", out}});
        return OkStatus();
      }));

  // --- worker ----------------------------------------------------------------
  struct WorkerArgs {
    bool until_idle = false;
    std::string channels;
    std::string worker_id;
    int batch = 8;
    int lease_seconds = 300;
  };
  auto wa = std::make_shared<WorkerArgs>();
  auto* worker = app.add_subcommand("worker", "run dispatch: plan due steps, send due messages, record outcomes");
  worker->add_flag("--until-idle", wa->until_idle, "stop when nothing is due now (else run until SIGTERM/SIGINT)");
  worker->add_option("--channels", wa->channels, "channel configuration (default: <data>/channels.json)");
  worker->add_option("--worker-id", wa->worker_id, "this worker's id (default: random)");
  worker->add_option("--batch", wa->batch, "messages claimed per tick (1..100)")->check(CLI::Range(1, 100));
  worker->add_option("--lease-seconds", wa->lease_seconds, "how long a claim lasts (1..3600; a dead worker's messages wait this long)")
      ->check(CLI::Range(1, 3600));
  worker->callback(Command(ctx, [&ctx, wa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    const std::string path =
        wa->channels.empty() ? (std::filesystem::path(engine->data_dir()) / "channels.json").string() : wa->channels;
    auto registry = channels::LoadChannelConfig(path, engine->clock());
    if (!registry.ok()) {
      if (registry.status().code() == StatusCode::kNotFound) {
        return FailedPreconditionError("no channel configuration at " + path +
                                       " (see docs/channels.md; --channels FILE)");
      }
      return registry.status();
    }
    dispatch::RegistryChannelSource source(std::move(registry).value());
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    dispatch::WorkerOptions options;
    options.worker_id = wa->worker_id;
    options.batch = wa->batch;
    options.lease = std::chrono::seconds(wa->lease_seconds);
    dispatch::Worker w(*engine, *scanner, source, options);
    dispatch::WorkerStats stats;
    if (wa->until_idle) {
      ASSIGN_OR_RETURN(stats, w.RunUntilIdle());
    } else {
      g_stop.store(false);
      std::signal(SIGTERM, OnStopSignal);
      std::signal(SIGINT, OnStopSignal);
      ASSIGN_OR_RETURN(stats, w.Run(g_stop));
    }
    ctx.Emit(StatsJson(stats, w.worker_id()));
    return OkStatus();
  }));

  // --- delivery report -------------------------------------------------------
  auto dr = std::make_shared<dispatch::DeliveryReport>();
  auto* delivery = app.add_subcommand("delivery", "delivery reports from providers");
  delivery->require_subcommand(1);
  auto* report = delivery->add_subcommand("report", "record a provider's delivery report for a sent message");
  report->add_option("--practice", dr->practice_id, "practice id")->required();
  report->add_option("--message", dr->message_id, "message id (msg_...)")->required();
  report->add_option("--status", dr->status, "delivered, undeliverable, failed or pending")->required();
  report->add_option("--reason", dr->reason, "the provider's short code (no PHI)");
  report->callback(Command(ctx, [&ctx, dr]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(dispatch::RecordDeliveryReport(*engine, *dr));
    ASSIGN_OR_RETURN(auto row, engine->store().outbox().Get(dr->practice_id, dr->message_id));
    ctx.Emit({{"message_id", row.message_id}, {"state", row.state}, {"delivery", row.delivery}});
    return OkStatus();
  }));

  // --- consent confirm (the consent confirmation link) -----------------------
  struct ConfirmArgs {
    std::string token, ip, user_agent;
  };
  auto ca = std::make_shared<ConfirmArgs>();
  auto* confirm = app.get_subcommand("consent")->add_subcommand(
      "confirm", "verify a consent confirmation token and record SMS consent (what the link does)");
  confirm->add_option("--token", ca->token, "the token from the link")->required();
  confirm->add_option("--ip", ca->ip, "the client's IP address, as evidence");
  confirm->add_option("--user-agent", ca->user_agent, "the client's user agent, as evidence");
  confirm->callback(Command(ctx, [&ctx, ca]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(std::string patient, dispatch::HandleConsentConfirmation(*engine, ca->token, ca->ip,
                                                                             ca->user_agent));
    ctx.Emit({{"patient_id", patient}, {"channel", "sms"}, {"confirmed", true}});
    return OkStatus();
  }));

  // --- practice settings -----------------------------------------------------
  struct SettingsArgs {
    std::string practice, json;
  };
  auto sa = std::make_shared<SettingsArgs>();
  auto* settings = app.get_subcommand("practice")->add_subcommand("settings", "the practice's dispatch settings");
  settings->require_subcommand(1);
  auto* sshow = settings->add_subcommand("show", "print the settings (defaults filled in)");
  sshow->add_option("--practice", sa->practice, "practice id")->required();
  sshow->callback(Command(ctx, [&ctx, sa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto s, practices::GetSettings(*engine, sa->practice));
    ctx.Emit(json::parse(practices::SettingsJson(s)));
    return OkStatus();
  }));
  auto* sset = settings->add_subcommand("set", "change some settings: --json '{\"send_window\":\"09:00-18:00\"}'");
  sset->add_option("--practice", sa->practice, "practice id")->required();
  sset->add_option("--json", sa->json, "a JSON object with the keys to change (docs/cli.md)")->required();
  sset->callback(Command(ctx, [&ctx, sa]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto s, practices::UpdateSettings(*engine, sa->practice, sa->json));
    ctx.Emit(json::parse(practices::SettingsJson(s)));
    return OkStatus();
  }));
}

}  // namespace recall::cli
