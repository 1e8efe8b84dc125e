// consent, classify, inbound and reassigned commands.
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/cli.h"
#include "consent/consent_json.h"
#include "dispatch/feedback.h"
#include "consent/consent.h"
#include "inbound/classifier.h"

namespace recall::cli {

using nlohmann::json;

namespace {

// Reads standard input to its end, keeping the first `keep` bytes (the
// classifier looks at the first 4 KiB only; the rest is drained, not held).
std::string ReadStdinPrefix(size_t keep) {
  std::string out;
  char buf[64 * 1024];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    const auto n = static_cast<size_t>(std::cin.gcount());
    if (out.size() < keep) out.append(buf, std::min(n, keep - out.size()));
  }
  return out;
}

constexpr size_t kStdinKeepBytes = 64 * 1024;

using consent::LanguageJson;
using consent::ViewJson;

StatusOr<std::optional<bool>> ParseOptionalBool(const std::string& text, const char* flag) {
  if (text.empty()) return std::optional<bool>();
  if (text == "true" || text == "yes") return std::optional<bool>(true);
  if (text == "false" || text == "no") return std::optional<bool>(false);
  return InvalidArgumentError(std::string(flag) + " takes true or false");
}

void RegisterConsentFamily(CLI::App& app, Context& ctx) {
  auto* consent = app.add_subcommand("consent", "the consent vault: records, revocations, wording, tokens");
  consent->require_subcommand(1);

  struct RecordArgs {
    std::string practice, patient, channel, purpose, source, evidence, ip, user_agent, contact, language, risk;
  };
  auto r = std::make_shared<RecordArgs>();
  auto* record = consent->add_subcommand("record", "record a consent grant with its evidence");
  record->add_option("--practice", r->practice, "practice id")->required();
  record->add_option("--patient", r->patient, "Recall patient id or the practice's own id")->required();
  record->add_option("--channel", r->channel, "sms, email, voice, rvm or portal")->required();
  record->add_option("--purpose", r->purpose, "care or outreach")->required();
  record->add_option("--source", r->source,
                     "intake_form, practice_import, keyword_reply, web_form, staff_verbal or consent_confirmation")
      ->required();
  record->add_option("--evidence", r->evidence, "what was captured, by whom, how (stored encrypted)")->required();
  record->add_option("--ip", r->ip, "IP address the consent came from, when known");
  record->add_option("--user-agent", r->user_agent, "user agent, when known");
  record->add_option("--contact", r->contact, "the phone or email it applies to (default: the one on file)");
  record->add_option("--language-version", r->language, "consent wording version (default: the current one)");
  record->add_option("--risk-acknowledged", r->risk, "unsecured channels: true or false");
  record->callback(Command(ctx, [&ctx, r]() -> Status {
    consent::GrantRequest req;
    req.practice_id = r->practice;
    req.patient = r->patient;
    ASSIGN_OR_RETURN(req.channel, consent::ParseChannel(r->channel));
    ASSIGN_OR_RETURN(req.purpose, consent::ParsePurpose(r->purpose));
    ASSIGN_OR_RETURN(req.source, consent::ParseSource(r->source));
    req.evidence = r->evidence;
    req.ip = r->ip;
    req.user_agent = r->user_agent;
    req.contact = r->contact;
    req.language_version = r->language;
    ASSIGN_OR_RETURN(req.risk_acknowledged, ParseOptionalBool(r->risk, "--risk-acknowledged"));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(std::string id, vault.Record(req));
    ctx.Emit({{"consent_id", id}, {"kind", "grant"}, {"channel", r->channel}, {"purpose", r->purpose}});
    return OkStatus();
  }));

  struct RevokeArgs {
    std::string practice, patient, source = "staff_verbal", evidence, channel, purpose;
  };
  auto v = std::make_shared<RevokeArgs>();
  auto* revoke = consent->add_subcommand("revoke", "revoke consent: every channel and purpose unless narrowed");
  revoke->add_option("--practice", v->practice, "practice id")->required();
  revoke->add_option("--patient", v->patient, "Recall patient id or the practice's own id")->required();
  revoke->add_option("--source", v->source, "how the request came (default staff_verbal)");
  revoke->add_option("--evidence", v->evidence, "what the patient asked, when, to whom (stored encrypted)");
  revoke->add_option("--channel", v->channel, "narrow to one channel (default: all)");
  revoke->add_option("--purpose", v->purpose, "narrow to one purpose (default: all)");
  revoke->callback(Command(ctx, [&ctx, v]() -> Status {
    consent::RevokeRequest req;
    req.practice_id = v->practice;
    req.patient = v->patient;
    ASSIGN_OR_RETURN(req.source, consent::ParseSource(v->source));
    req.evidence = v->evidence;
    if (!v->channel.empty()) {
      ASSIGN_OR_RETURN(req.channel, consent::ParseChannel(v->channel));
    }
    if (!v->purpose.empty()) {
      ASSIGN_OR_RETURN(req.purpose, consent::ParsePurpose(v->purpose));
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(std::string id, vault.Revoke(req));
    ctx.Emit({{"consent_id", id},
              {"kind", "revoke"},
              {"channel", v->channel.empty() ? "all" : v->channel},
              {"purpose", v->purpose.empty() ? "all" : v->purpose}});
    return OkStatus();
  }));

  struct PatientArgs {
    std::string practice, patient, format = "fhir", channel, purpose, contact;
  };
  auto s = std::make_shared<PatientArgs>();
  auto* show = consent->add_subcommand("show", "current consent per channel and purpose, and its history");
  show->add_option("--practice", s->practice, "practice id")->required();
  show->add_option("--patient", s->patient, "Recall patient id or the practice's own id")->required();
  show->callback(Command(ctx, [&ctx, s]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(auto view, vault.Show(s->practice, s->patient));
    ctx.Emit(ViewJson(view));
    return OkStatus();
  }));

  auto e = std::make_shared<PatientArgs>();
  auto* exp = consent->add_subcommand("export", "export consent history (FHIR R4 Consent, one per record)");
  exp->add_option("--practice", e->practice, "practice id")->required();
  exp->add_option("--patient", e->patient, "Recall patient id or the practice's own id")->required();
  exp->add_option("--format", e->format, "fhir (default)");
  exp->callback(Command(ctx, [&ctx, e]() -> Status {
    if (e->format != "fhir") return InvalidArgumentError("unknown export format (expected fhir)");
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(json resources, vault.ExportFhir(e->practice, e->patient));
    json entries = json::array();
    for (auto& res : resources) entries.push_back({{"fullUrl", "urn:recall:consent:" + res["id"].get<std::string>()},
                                                   {"resource", res}});
    ctx.Emit({{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}});
    return OkStatus();
  }));

  auto c = std::make_shared<PatientArgs>();
  auto* check = consent->add_subcommand("check", "may a message go now? (what the dispatcher asks; read-only)");
  check->add_option("--practice", c->practice, "practice id")->required();
  check->add_option("--patient", c->patient, "Recall patient id")->required();
  check->add_option("--channel", c->channel, "sms, email, voice, rvm or portal")->required();
  check->add_option("--purpose", c->purpose, "care or outreach")->required();
  check->add_option("--contact", c->contact, "the exact address (default: the one on file)");
  check->callback(Command(ctx, [&ctx, c]() -> Status {
    ASSIGN_OR_RETURN(auto channel, consent::ParseChannel(c->channel));
    ASSIGN_OR_RETURN(auto purpose, consent::ParsePurpose(c->purpose));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(auto d, vault.Check(c->practice, c->patient, channel, purpose, c->contact, engine->clock().Now()));
    ctx.Emit({{"allowed", d.allowed()}, {"reason", consent::BlockName(d.block)}, {"consent_id", d.consent_id}});
    return OkStatus();
  }));

  struct LanguageArgs {
    std::string practice, channel, text, file;
  };
  auto l = std::make_shared<LanguageArgs>();
  auto* language = consent->add_subcommand("language", "the practice's versioned consent wording");
  language->require_subcommand(1);
  auto* ladd = language->add_subcommand("add", "store a new version of the wording for a channel");
  ladd->add_option("--practice", l->practice, "practice id")->required();
  ladd->add_option("--channel", l->channel, "sms, email, voice, rvm or portal")->required();
  ladd->add_option("--text", l->text, "the exact wording shown to patients");
  ladd->add_option("--file", l->file, "read the wording from a file");
  ladd->callback(Command(ctx, [&ctx, l]() -> Status {
    ASSIGN_OR_RETURN(auto channel, consent::ParseChannel(l->channel));
    std::string text = l->text;
    if (!l->file.empty()) {
      if (!text.empty()) return InvalidArgumentError("give --text or --file, not both");
      std::ifstream f(l->file, std::ios::binary);
      if (!f) return InvalidArgumentError("cannot open the wording file");
      text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(auto row, vault.AddLanguage(l->practice, channel, text));
    ctx.Emit(LanguageJson(row));
    return OkStatus();
  }));
  auto lc = std::make_shared<LanguageArgs>();
  auto* lshow = language->add_subcommand("show", "the current wording for a channel");
  lshow->add_option("--practice", lc->practice, "practice id")->required();
  lshow->add_option("--channel", lc->channel, "sms, email, voice, rvm or portal")->required();
  lshow->callback(Command(ctx, [&ctx, lc]() -> Status {
    ASSIGN_OR_RETURN(auto channel, consent::ParseChannel(lc->channel));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(auto row, vault.CurrentLanguage(lc->practice, channel));
    if (!row.has_value()) return NotFoundError("no consent language for this channel in practice " + lc->practice);
    ctx.Emit(LanguageJson(*row));
    return OkStatus();
  }));

  auto t = std::make_shared<PatientArgs>();
  auto* token = consent->add_subcommand("unsubscribe-token", "a signed per-recipient email unsubscribe token");
  token->add_option("--practice", t->practice, "practice id")->required();
  token->add_option("--patient", t->patient, "Recall patient id or the practice's own id")->required();
  token->callback(Command(ctx, [&ctx, t]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(std::string tok, vault.UnsubscribeToken(t->practice, t->patient));
    ctx.Emit({{"token", tok}});
    return OkStatus();
  }));
  auto u = std::make_shared<std::string>();
  auto* unsub = consent->add_subcommand("unsubscribe", "verify a token and record the email opt-out (revokes all)");
  unsub->add_option("--token", *u, "the token from the link or the one-click POST")->required();
  unsub->callback(Command(ctx, [&ctx, u]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(std::string patient_id, vault.Unsubscribe(*u));
    ctx.Emit({{"unsubscribed", true}, {"patient_id", patient_id}});
    return OkStatus();
  }));
}

void RegisterClassifyAndInbound(CLI::App& app, Context& ctx) {
  auto* classify = app.add_subcommand("classify", "classify one inbound message read on stdin (no side effects)");
  classify->callback(Command(ctx, [&ctx]() -> Status {
    const std::string body = ReadStdinPrefix(kStdinKeepBytes);
    const auto c = inbound::Classify(body);
    ctx.Emit({{"intent", inbound::IntentName(c.intent)}, {"opt_out", c.opt_out}, {"urgent", c.urgent}});
    return OkStatus();
  }));

  auto* inbound_cmd = app.add_subcommand("inbound", "handle an inbound message: classify, apply, audit, reply");
  inbound_cmd->require_subcommand(1);
  auto m = std::make_shared<consent::InboundSms>();
  auto* sms = inbound_cmd->add_subcommand("sms", "one inbound SMS");
  sms->add_option("--practice", m->practice_id, "practice id")->required();
  sms->add_option("--from", m->from, "the sender's number (E.164)")->required();
  sms->add_option("--body", m->body, "the message text ('-' reads stdin)")->required();
  sms->callback(Command(ctx, [&ctx, m]() -> Status {
    consent::InboundSms msg = *m;
    if (msg.body == "-") msg.body = ReadStdinPrefix(kStdinKeepBytes);
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto handled, dispatch::HandleInboundSms(*engine, msg.practice_id, msg.from, msg.body));
    const consent::InboundOutcome& out = handled.outcome;
    ctx.Emit({{"intent", inbound::IntentName(out.classification.intent)},
              {"opt_out", out.classification.opt_out},
              {"urgent", out.classification.urgent},
              {"patient_found", out.patient_found},
              {"patient_ids", out.patient_ids},
              {"reply", out.reply.value_or("")},
              {"effects", out.effects},
              {"event_ids", handled.event_ids},
              {"campaign_id", handled.campaign_id}});
    return OkStatus();
  }));

  struct ReassignedArgs {
    std::string practice, file;
  };
  auto ra = std::make_shared<ReassignedArgs>();
  auto* reassigned = app.add_subcommand("reassigned", "reassigned / disconnected numbers (FCC RND answers)");
  reassigned->require_subcommand(1);
  auto* rimport = reassigned->add_subcommand("import", "import a CSV of numbers and disconnect dates");
  rimport->add_option("--practice", ra->practice, "practice id")->required();
  rimport->add_option("file", ra->file, "CSV file ('-' for stdin)")->required();
  rimport->callback(Command(ctx, [&ctx, ra]() -> Status {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (ra->file != "-") {
      file.open(ra->file, std::ios::binary);
      if (!file) return InvalidArgumentError("cannot open the reassigned numbers file");
      in = &file;
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    consent::ConsentVault vault(*engine);
    ASSIGN_OR_RETURN(auto report, vault.ImportReassigned(ra->practice, *in));
    json rejected = json::array();
    for (const auto& row : report.rejected) rejected.push_back({{"line", row.line}, {"reason", row.reason}});
    ctx.Emit({{"imported", report.imported}, {"skipped", report.skipped}, {"rejected", rejected}});
    return OkStatus();
  }));
}

}  // namespace

void RegisterConsentCommands(CLI::App& app, Context& ctx) {
  RegisterConsentFamily(app, ctx);
  RegisterClassifyAndInbound(app, ctx);
}

}  // namespace recall::cli
