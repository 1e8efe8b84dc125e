// lint, template and campaign commands.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>

#include "campaigns/campaign_json.h"
#include "campaigns/campaigns.h"
#include "campaigns/lint.h"
#include "campaigns/preview.h"
#include "cli/cli.h"
#include "scanner/scanner.h"

namespace recall::cli {

using nlohmann::json;

// One scanner per process: Create() compiles the vocabulary (about a second
// with the system medical dictionary).
StatusOr<const scanner::Scanner*> SharedScanner() {
  static std::once_flag once;
  static std::unique_ptr<scanner::Scanner> scanner;
  static Status error;
  std::call_once(once, [] {
    scanner::ScannerOptions options;
    options.data_dir = scanner::DefaultDataDir();
    auto created = scanner::Scanner::Create(options);
    if (created.ok()) scanner = std::move(created).value();
    else error = created.status();
  });
  if (!scanner) return error;
  return static_cast<const scanner::Scanner*>(scanner.get());
}

namespace {

constexpr size_t kMaxInputBytes = 1024 * 1024;

StatusOr<std::string> ReadAll(std::istream& in) {
  std::string out;
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxInputBytes) return ResourceExhaustedError("input is larger than 1 MiB");
  }
  return out;
}

StatusOr<std::string> ReadBodyFile(const std::string& path) {
  if (path == "-") return ReadAll(std::cin);
  std::ifstream file(path, std::ios::binary);
  if (!file) return InvalidArgumentError("cannot open the body file");
  return ReadAll(file);
}

json FindingJson(const campaigns::LintFinding& f) {
  json j = {{"category", f.category}, {"match", f.match}, {"start", f.start}, {"end", f.end}, {"severity", f.severity}};
  if (!f.code.empty()) j["code"] = f.code;
  if (!f.message.empty()) j["message"] = f.message;
  if (!f.field.empty() && f.field != "body") j["field"] = f.field;
  return j;
}

json FindingsJson(const std::vector<campaigns::LintFinding>& findings) {
  json out = json::array();
  for (const auto& f : findings) out.push_back(FindingJson(f));
  return out;
}

json TemplateJson(const store::TemplateRow& t, bool with_text) {
  json j = {{"template_id", t.template_id}, {"version", t.version},   {"name", t.name},
            {"channel", t.channel},         {"tier", t.tier},         {"purpose", t.purpose},
            {"language", t.language},       {"author", t.author},     {"created_at", t.created_at}};
  if (with_text) {
    j["subject"] = t.subject;
    j["body"] = t.body;
  }
  return j;
}

using campaigns::ApprovalJson;
using campaigns::CampaignJson;

StatusOr<std::vector<campaigns::StepInput>> ParseSteps(const std::vector<std::string>& specs) {
  std::vector<campaigns::StepInput> steps;
  for (const auto& spec : specs) {
    ASSIGN_OR_RETURN(auto step, campaigns::ParseStepSpec(spec));
    steps.push_back(std::move(step));
  }
  return steps;
}

void RegisterLint(CLI::App& app, Context& ctx) {
  struct Args {
    std::string channel, subject, practice_name;
    int tier = 0;
    bool later_message = false;
  };
  auto a = std::make_shared<Args>();
  auto* lint = app.add_subcommand("lint", "check outreach text on stdin: clinical content, tier policy, required "
                                          "elements; exit 1 on block");
  lint->add_option("--channel", a->channel, "sms|email|voice|rvm|portal (enables the channel's rules)");
  lint->add_option("--tier", a->tier, "1 administrative, 2 notification, 3 clinical (portal only)");
  lint->add_option("--subject", a->subject, "email subject, checked with the body");
  lint->add_option("--practice-name", a->practice_name, "the practice's name as written literally in the text");
  lint->add_flag("--later-message", a->later_message, "SMS: not the first message of a campaign (no opt-out needed)");
  lint->callback([&ctx, a] {
    auto run = [&]() -> Status {
      campaigns::LintOptions options;
      if (!a->channel.empty()) {
        ASSIGN_OR_RETURN(options.channel, templates::ParseChannel(a->channel));
      }
      if (a->tier != 0) {
        ASSIGN_OR_RETURN(options.tier, templates::TierFromNumber(a->tier));
      }
      options.subject = a->subject;
      options.practice_name = a->practice_name;
      options.first_message_of_campaign = !a->later_message;
      ASSIGN_OR_RETURN(std::string text, ReadAll(std::cin));
      ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
      campaigns::LintReport report = campaigns::Lint(*scanner, text, options);
      ctx.Emit({{"verdict", report.verdict}, {"findings", FindingsJson(report.findings)}});
      if (report.verdict == "block") ctx.FinishWithExit(1);
      return OkStatus();
    };
    ctx.Finish(run());
  });
}

void RegisterTemplate(CLI::App& app, Context& ctx) {
  auto* tpl = app.add_subcommand("template", "message templates (versioned; scanned when authored)");
  tpl->require_subcommand(1);

  struct AddArgs {
    campaigns::TemplateInput in;
    std::string body_file;
  };
  auto a = std::make_shared<AddArgs>();
  auto* add = tpl->add_subcommand("add", "author a template (version 1)");
  add->add_option("--practice", a->in.practice_id, "practice id")->required();
  add->add_option("--name", a->in.name, "unique name, e.g. recall-sms-en")->required();
  add->add_option("--channel", a->in.channel, "sms|email|voice|rvm|portal")->required();
  add->add_option("--tier", a->in.tier, "1 administrative, 2 notification, 3 clinical (portal only)")->required();
  add->add_option("--purpose", a->in.purpose, "care|outreach")->required();
  add->add_option("--language", a->in.language, "BCP-47, e.g. en, es-MX")->required();
  add->add_option("--subject", a->in.subject, "email subject (a template)");
  auto* body = add->add_option("--body", a->in.body, "template text");
  auto* body_file = add->add_option("--body-file", a->body_file, "file holding the template text ('-': stdin)");
  body->excludes(body_file);
  add->callback(Command(ctx, [&ctx, a, body, body_file]() -> Status {
    if (body->count() == 0 && body_file->count() == 0) return InvalidArgumentError("give --body or --body-file");
    campaigns::TemplateInput in = a->in;
    if (body_file->count() > 0) {
      ASSIGN_OR_RETURN(in.body, ReadBodyFile(a->body_file));
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    ASSIGN_OR_RETURN(auto result, campaigns::AddTemplate(*engine, *scanner, in));
    json out = TemplateJson(result.row, false);
    out["findings"] = FindingsJson(result.findings);
    ctx.Emit(out);
    return OkStatus();
  }));

  struct EditArgs {
    std::string practice, tpl, subject, body, body_file;
  };
  auto e = std::make_shared<EditArgs>();
  auto* edit = tpl->add_subcommand("edit", "store the next version of a template; campaigns using it return to draft");
  edit->add_option("--practice", e->practice, "practice id")->required();
  edit->add_option("--template", e->tpl, "template id or name")->required();
  auto* esubject = edit->add_option("--subject", e->subject, "new email subject");
  auto* ebody = edit->add_option("--body", e->body, "new template text");
  auto* ebody_file = edit->add_option("--body-file", e->body_file, "file holding the new text ('-': stdin)");
  ebody->excludes(ebody_file);
  edit->callback(Command(ctx, [&ctx, e, esubject, ebody, ebody_file]() -> Status {
    std::optional<std::string> subject, body;
    if (esubject->count() > 0) subject = e->subject;
    if (ebody->count() > 0) body = e->body;
    if (ebody_file->count() > 0) {
      ASSIGN_OR_RETURN(body, ReadBodyFile(e->body_file));
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    ASSIGN_OR_RETURN(auto result, campaigns::EditTemplate(*engine, *scanner, e->practice, e->tpl, subject, body));
    json out = TemplateJson(result.row, false);
    out["findings"] = FindingsJson(result.findings);
    out["reverted_campaigns"] = result.reverted_campaigns;
    ctx.Emit(out);
    return OkStatus();
  }));

  auto practice = std::make_shared<std::string>();
  auto* list = tpl->add_subcommand("list", "the latest version of every template");
  list->add_option("--practice", *practice, "practice id")->required();
  list->callback(Command(ctx, [&ctx, practice]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(engine->store().practices().Get(*practice).status());
    ASSIGN_OR_RETURN(auto rows, engine->store().campaigns().ListTemplates(*practice));
    json out = json::array();
    for (const auto& t : rows) out.push_back(TemplateJson(t, false));
    ctx.Emit({{"templates", out}});
    return OkStatus();
  }));

  struct ShowArgs {
    std::string practice, tpl;
    int64_t version = 0;
  };
  auto s = std::make_shared<ShowArgs>();
  auto* show = tpl->add_subcommand("show", "one template version with its text");
  show->add_option("--practice", s->practice, "practice id")->required();
  show->add_option("--template", s->tpl, "template id or name")->required();
  show->add_option("--version", s->version, "version (default: the latest)");
  show->callback(Command(ctx, [&ctx, s]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto row, engine->store().campaigns().GetTemplate(s->practice, s->tpl, s->version));
    ctx.Emit(TemplateJson(row, true));
    return OkStatus();
  }));
}

void RegisterCampaign(CLI::App& app, Context& ctx) {
  auto* campaign = app.add_subcommand("campaign", "campaigns: draft, submit, preview, approve");
  campaign->require_subcommand(1);

  struct CreateArgs {
    campaigns::CampaignInput in;
    std::vector<std::string> steps;
  };
  auto c = std::make_shared<CreateArgs>();
  auto* create = campaign->add_subcommand("create", "create a draft campaign");
  create->add_option("--practice", c->in.practice_id, "practice id")->required();
  create->add_option("--name", c->in.name, "campaign name")->required();
  create->add_option("--kind", c->in.kind, "re-engagement|recall|review|reminder|consent_confirmation")->required();
  create->add_option("--purpose", c->in.purpose, "care|outreach")->required();
  create->add_option("--segment", c->in.segment_json,
                     "JSON filter: status, language, provider, last_visit_before, last_visit_after (default {})");
  create->add_option("--step", c->steps,
                     "CHANNEL[>FALLBACK[>FALLBACK]]:DELAY_HOURS:TEMPLATE[,TEMPLATE...][:if=no_response] (one "
                     "template per channel and language; call_list:HOURS takes none); repeatable");
  create->add_option("--start", c->in.start, "practice-local start, YYYY-MM-DDTHH:MM");
  create->add_option("--window", c->in.window, "daily send window HH:MM-HH:MM within 08:00-21:00");
  create->callback(Command(ctx, [&ctx, c]() -> Status {
    campaigns::CampaignInput in = c->in;
    ASSIGN_OR_RETURN(in.steps, ParseSteps(c->steps));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto row, campaigns::CreateCampaign(*engine, in));
    ctx.Emit(CampaignJson(row));
    return OkStatus();
  }));

  struct EditArgs {
    std::string practice, campaign, name, segment, start, window;
    std::vector<std::string> steps;
  };
  auto e = std::make_shared<EditArgs>();
  auto* edit = campaign->add_subcommand("edit", "change a campaign; an approved campaign returns to draft");
  edit->add_option("--practice", e->practice, "practice id")->required();
  edit->add_option("--campaign", e->campaign, "campaign id")->required();
  auto* ename = edit->add_option("--name", e->name, "campaign name");
  auto* esegment = edit->add_option("--segment", e->segment, "JSON filter");
  auto* esteps = edit->add_option("--step", e->steps, "replaces every step (syntax as in create); repeatable");
  auto* estart = edit->add_option("--start", e->start, "YYYY-MM-DDTHH:MM");
  auto* ewindow = edit->add_option("--window", e->window, "HH:MM-HH:MM");
  edit->callback(Command(ctx, [&ctx, e, ename, esegment, esteps, estart, ewindow]() -> Status {
    campaigns::CampaignEdit change;
    if (ename->count() > 0) change.name = e->name;
    if (esegment->count() > 0) change.segment_json = e->segment;
    if (estart->count() > 0) change.start = e->start;
    if (ewindow->count() > 0) change.window = e->window;
    if (esteps->count() > 0) {
      ASSIGN_OR_RETURN(change.steps, ParseSteps(e->steps));
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto row, campaigns::EditCampaign(*engine, e->practice, e->campaign, change));
    ctx.Emit(CampaignJson(row));
    return OkStatus();
  }));

  struct Ref {
    std::string practice, campaign;
  };
  auto add_ref = [](CLI::App* cmd, Ref* ref) {
    cmd->add_option("--practice", ref->practice, "practice id")->required();
    cmd->add_option("--campaign", ref->campaign, "campaign id")->required();
  };

  auto submit_ref = std::make_shared<Ref>();
  auto* submit = campaign->add_subcommand("submit", "submit a draft for the practice's approval");
  add_ref(submit, submit_ref.get());
  submit->callback(Command(ctx, [&ctx, submit_ref]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    ASSIGN_OR_RETURN(auto result, campaigns::Submit(*engine, *scanner, submit_ref->practice, submit_ref->campaign));
    ctx.Emit({{"campaign_id", result.campaign.campaign_id},
              {"state", result.campaign.state},
              {"content_sha256", result.content_sha256},
              {"warnings", FindingsJson(result.warnings)}});
    return OkStatus();
  }));

  struct PreviewArgs {
    Ref ref;
    int sample = 3;
    std::string out;
  };
  auto p = std::make_shared<PreviewArgs>();
  auto* preview = campaign->add_subcommand("preview", "render for a sample of real recipients, masked (audited)");
  add_ref(preview, &p->ref);
  preview->add_option("--sample", p->sample, "recipients to sample (default 3, at most 50)");
  preview->add_option("--out", p->out, "directory for voice/voicemail WAVs (espeak-ng)");
  preview->callback(Command(ctx, [&ctx, p]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
    campaigns::PreviewOptions options;
    options.sample = p->sample;
    options.out_dir = p->out;
    ASSIGN_OR_RETURN(auto report, campaigns::Preview(*engine, *scanner, p->ref.practice, p->ref.campaign, options));
    json messages = json::array();
    for (const auto& m : report.messages) {
      json j = {{"step", m.step},
                {"channel", m.channel},
                {"language", m.language},
                {"template_id", m.template_id},
                {"template_version", m.template_version},
                {"recipient", m.recipient},
                {"first_name", m.first_name_masked},
                {"language_fallback", m.language_fallback},
                {"body", m.body},
                {"verdict", m.verdict},
                {"findings", FindingsJson(m.findings)}};
      if (!m.subject.empty()) j["subject"] = m.subject;
      if (m.channel == "sms") {
        j["sms"] = {{"encoding", m.sms_encoding}, {"units", m.sms_units}, {"segments", m.sms_segments}};
      }
      if (!m.wav_path.empty()) j["wav"] = m.wav_path;
      messages.push_back(std::move(j));
    }
    ctx.Emit({{"campaign_id", report.campaign_id},
              {"state", report.state},
              {"content_sha256", report.content_sha256},
              {"matched", report.matched},
              {"sample_variables", report.sample_variables},
              {"verdict", report.verdict},
              {"messages", messages}});
    return OkStatus();
  }));

  struct ApproveArgs {
    Ref ref;
    campaigns::Signoff signoff;
  };
  auto ap = std::make_shared<ApproveArgs>();
  auto* approve = campaign->add_subcommand("approve", "record the practice's written sign-off of the exact content");
  add_ref(approve, &ap->ref);
  approve->add_option("--by", ap->signoff.name, "the practice user who signs (not the author)")->required();
  approve->add_option("--title", ap->signoff.title, "their title, e.g. 'Office Manager'")->required();
  approve->add_option("--statement", ap->signoff.statement, "the statement they signed")->required();
  approve->add_option("--hash", ap->signoff.expected_sha256, "refuse unless the content hash is this (from preview)");
  approve->callback(Command(ctx, [&ctx, ap]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto row, campaigns::Approve(*engine, ap->ref.practice, ap->ref.campaign, ap->signoff));
    json out = ApprovalJson(row);
    out["campaign_id"] = row.campaign_id;
    out["state"] = campaigns::kApproved;
    ctx.Emit(out);
    return OkStatus();
  }));

  auto sched_ref = std::make_shared<Ref>();
  auto* schedule = campaign->add_subcommand("schedule", "approved -> scheduled (checks the approved hash)");
  add_ref(schedule, sched_ref.get());
  schedule->callback(Command(ctx, [&ctx, sched_ref]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(campaigns::Advance(*engine, sched_ref->practice, sched_ref->campaign, campaigns::kScheduled));
    ctx.Emit({{"campaign_id", sched_ref->campaign}, {"state", campaigns::kScheduled}});
    return OkStatus();
  }));

  auto show_ref = std::make_shared<Ref>();
  auto* show = campaign->add_subcommand("show", "a campaign, its approvals, content hash and dispatchability");
  add_ref(show, show_ref.get());
  show->callback(Command(ctx, [&ctx, show_ref]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto row, engine->store().campaigns().GetCampaign(show_ref->practice, show_ref->campaign));
    ASSIGN_OR_RETURN(json out, campaigns::CampaignDetailJson(*engine, row));
    ctx.Emit(out);
    return OkStatus();
  }));

  auto list_practice = std::make_shared<std::string>();
  auto* list = campaign->add_subcommand("list", "every campaign of a practice, newest first");
  list->add_option("--practice", *list_practice, "practice id")->required();
  list->callback(Command(ctx, [&ctx, list_practice]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(engine->store().practices().Get(*list_practice).status());
    ASSIGN_OR_RETURN(auto rows, engine->store().campaigns().ListCampaigns(*list_practice));
    json out = json::array();
    for (const auto& row : rows) {
      out.push_back({{"campaign_id", row.campaign_id},
                     {"name", row.name},
                     {"kind", row.kind},
                     {"state", row.state},
                     {"revision", row.revision}});
    }
    ctx.Emit({{"campaigns", out}});
    return OkStatus();
  }));
}

}  // namespace

void RegisterCampaignCommands(CLI::App& app, Context& ctx) {
  RegisterLint(app, ctx);
  RegisterTemplate(app, ctx);
  RegisterCampaign(app, ctx);
}

}  // namespace recall::cli
