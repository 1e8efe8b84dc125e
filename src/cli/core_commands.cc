// init, practice, baa, import, patient, audit and synth commands.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "audit/checkpoint.h"
#include "audit/export.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "incidents/incidents.h"
#include "patients/patients.h"
#include "patients/synthetic.h"
#include "practices/practices.h"

namespace recall::cli {

using nlohmann::json;

void RegisterInitCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("init", "create the data directory, master key and store");
  cmd->callback(Command(ctx, [&ctx]() -> Status {
    RETURN_IF_ERROR(engine::Engine::Init({ctx.data_dir, "", ctx.actor(), nullptr, nullptr}));
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    RETURN_IF_ERROR(engine->store().audit().Append(engine->Event("system.init")).status());
    ctx.Emit({{"data_dir", ctx.data_dir}, {"initialized", true}});
    return OkStatus();
  }));
}

json PracticeJson(const store::PracticeRow& p) {
  return {{"practice_id", p.practice_id}, {"name", p.name},         {"address", p.address},
          {"phone", p.phone},             {"email_from", p.email_from}, {"timezone", p.timezone},
          {"state", p.state},             {"created_at", p.created_at}};
}

void RegisterPracticeCommands(CLI::App& app, Context& ctx) {
  auto* practice = app.add_subcommand("practice", "practices (tenants)");
  practice->require_subcommand(1);

  auto in = std::make_shared<practices::NewPractice>();
  auto* add = practice->add_subcommand("add", "add a practice");
  add->add_option("--name", in->name, "practice name as patients know it")->required();
  add->add_option("--address", in->address, "postal address (CAN-SPAM)")->required();
  add->add_option("--phone", in->phone, "practice phone")->required();
  add->add_option("--email-from", in->email_from, "sender identity, e.g. 'Maple Dental <office@maple.example>'")
      ->required();
  add->add_option("--timezone", in->timezone, "IANA time zone, e.g. America/Chicago")->required();
  add->add_option("--state", in->state, "US state")->required();
  add->callback(Command(ctx, [&ctx, in]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto p, practices::CreatePractice(*engine, *in));
    ctx.Emit({{"practice_id", p.practice_id}});
    return OkStatus();
  }));

  auto* list = practice->add_subcommand("list", "list practices");
  list->callback(Command(ctx, [&ctx]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto rows, practices::ListPractices(*engine));
    json out = json::array();
    for (const auto& p : rows) {
      json j = PracticeJson(p);
      ASSIGN_OR_RETURN(auto baa, engine->store().practices().LatestBaa(p.practice_id));
      j["baa_recorded"] = baa.has_value();
      out.push_back(j);
    }
    ctx.Emit({{"practices", out}});
    return OkStatus();
  }));

  auto* baa = app.add_subcommand("baa", "Business Associate Agreements");
  baa->require_subcommand(1);
  auto b = std::make_shared<practices::NewBaa>();
  auto* record = baa->add_subcommand("record", "record the practice's signed BAA");
  record->add_option("--practice", b->practice_id, "practice id")->required();
  record->add_option("--signed-by", b->signed_by, "who signed for the practice")->required();
  record->add_option("--signed-on", b->signed_on, "YYYY-MM-DD")->required();
  record->add_option("--document", b->document_path, "the signed document (its SHA-256 is recorded)")->required();
  record->add_option("--breach-notice-hours", b->breach_notice_hours, "contractual breach notice (default 72)");
  record->callback(Command(ctx, [&ctx, b]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto row, practices::RecordBaa(*engine, *b));
    ctx.Emit({{"baa_id", row.baa_id},
              {"practice_id", row.practice_id},
              {"signed_on", row.signed_on},
              {"document_sha256", row.document_sha256},
              {"breach_notice_hours", row.breach_notice_hours}});
    return OkStatus();
  }));
}

json PatientJson(const patients::PatientView& v, bool revealed) {
  json j = {{"patient_id", v.patient_id}, {"first_name", v.first_name}, {"last_name", v.last_name},
            {"email", v.email},           {"phone", v.phone},           {"phone_line_type", v.phone_line_type},
            {"language", v.language},     {"last_visit", v.last_visit}, {"status", v.status},
            {"provider_name", v.provider_name}, {"state", v.state}};
  if (revealed) {
    j["external_id"] = v.external_id;
    j["postal_code"] = v.postal_code;
  }
  return j;
}

void RegisterPatientCommands(CLI::App& app, Context& ctx) {
  auto* import = app.add_subcommand("import", "import patient contacts");
  import->require_subcommand(1);
  struct ImportArgs {
    std::string practice, file;
    std::vector<std::string> maps;
  };
  auto a = std::make_shared<ImportArgs>();
  auto* csv = import->add_subcommand("csv", "import a CSV export (RFC 4180); clinical columns are dropped");
  csv->add_option("--practice", a->practice, "practice id")->required();
  csv->add_option("--map", a->maps, "HEADER=field (or HEADER=drop); repeatable");
  csv->add_option("file", a->file, "CSV file ('-' for stdin)")->required();
  csv->callback(Command(ctx, [&ctx, a]() -> Status {
    patients::ImportOptions options;
    for (const auto& m : a->maps) {
      const size_t eq = m.rfind('=');
      if (eq == std::string::npos || eq == 0) return InvalidArgumentError("--map takes HEADER=field");
      options.header_map[m.substr(0, eq)] = m.substr(eq + 1);
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    uint64_t total = 0;
    if (a->file != "-") {
      file.open(a->file, std::ios::binary);
      if (!file) return InvalidArgumentError("cannot open the CSV file");
      file.seekg(0, std::ios::end);
      total = static_cast<uint64_t>(file.tellg());
      file.seekg(0);
      in = &file;
    }
    if (::isatty(STDERR_FILENO)) {
      options.progress = [total](uint64_t bytes, int64_t rows) {
        if (total > 0) {
          std::fprintf(stderr, "\rimporting: %lld rows, %3d%%", static_cast<long long>(rows),
                       static_cast<int>(100.0 * static_cast<double>(bytes) / static_cast<double>(total)));
        } else {
          std::fprintf(stderr, "\rimporting: %lld rows", static_cast<long long>(rows));
        }
      };
    }
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    std::vector<patients::ImportedConsent> consents;
    auto report = patients::ImportCsv(*engine, a->practice, *in, options, &consents);
    if (options.progress) std::fprintf(stderr, "\n");
    if (!report.ok()) return report.status();
    // The sms_consent / email_consent columns become practice_import records
    // (after the patients commit: consent records name stored patients).
    ASSIGN_OR_RETURN(auto consent, consent::ConsentVault(*engine).ApplyImported(a->practice, consents));
    json rejected = json::array();
    for (const auto& r : report->rejected) rejected.push_back({{"line", r.line}, {"reason", r.reason}});
    ctx.Emit({{"imported", report->imported},
              {"updated", report->updated},
              {"rejected", rejected},
              {"rejected_total", report->rejected_total},
              {"dropped_columns", report->dropped_columns},
              {"consent", {{"granted", consent.granted},
                           {"revoked", consent.revoked},
                           {"unchanged", consent.unchanged},
                           {"skipped_revoked", consent.skipped_revoked},
                           {"skipped_no_contact", consent.skipped_no_contact}}}});
    return OkStatus();
  }));

  auto* patient = app.add_subcommand("patient", "patient contacts (masked unless revealed)");
  patient->require_subcommand(1);
  struct ListArgs {
    std::string practice, after;
    int limit = 100;
  };
  auto l = std::make_shared<ListArgs>();
  auto* list = patient->add_subcommand("list", "list patients, PHI masked");
  list->add_option("--practice", l->practice, "practice id")->required();
  list->add_option("--after", l->after, "cursor from the previous page");
  list->add_option("--limit", l->limit, "page size (default 100, at most 10000)");
  list->callback(Command(ctx, [&ctx, l]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto page, patients::ListMasked(*engine, l->practice, l->after, l->limit));
    json out = json::array();
    for (const auto& v : page.patients) out.push_back(PatientJson(v, false));
    ctx.Emit({{"patients", out}, {"next", page.next.empty() ? json(nullptr) : json(page.next)}});
    return OkStatus();
  }));

  struct ShowArgs {
    std::string practice, patient, reason;
    bool reveal = false;
  };
  auto s = std::make_shared<ShowArgs>();
  auto* show = patient->add_subcommand("show", "show one patient; --reveal with --reason decrypts (audited)");
  show->add_option("--practice", s->practice, "practice id")->required();
  show->add_option("--patient", s->patient, "Recall patient id or the practice's own id")->required();
  show->add_flag("--reveal", s->reveal, "show PHI unmasked (audited)");
  show->add_option("--reason", s->reason, "why PHI is revealed (required with --reveal; no PHI in it)");
  show->callback(Command(ctx, [&ctx, s]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    if (s->reveal) {
      ASSIGN_OR_RETURN(auto v, patients::Reveal(*engine, s->practice, s->patient, s->reason));
      ctx.Emit(PatientJson(v, true));
      return OkStatus();
    }
    ASSIGN_OR_RETURN(auto v, patients::ShowMasked(*engine, s->practice, s->patient));
    ctx.Emit(PatientJson(v, false));
    return OkStatus();
  }));
}

namespace {

// An export bound: a date (the whole day, UTC) or an RFC 3339 UTC time.
// `end` bounds are exclusive: the day after a date, the millisecond after a time.
StatusOr<std::string> ExportBound(const std::string& value, bool end) {
  using std::chrono::hours, std::chrono::milliseconds;
  if (value.size() == 10) {
    auto day = ParseRfc3339(value + "T00:00:00Z");
    if (!day.ok()) return InvalidArgumentError("--from/--to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    return FormatRfc3339Millis(end ? *day + hours(24) : *day);
  }
  auto t = ParseRfc3339(value);
  if (!t.ok()) return InvalidArgumentError("--from/--to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  return FormatRfc3339Millis(end ? *t + milliseconds(1) : *t);
}

struct ExportArgs {
  std::string from, to, format = "jsonl", out, practice;
};

// Writes the records with from <= time < to (and of one practice, if given);
// returns how many. Audited as "audit.export" with the count and the range.
StatusOr<int64_t> ExportAudit(engine::Engine& engine, const ExportArgs& a) {
  ASSIGN_OR_RETURN(std::string from, ExportBound(a.from, false));
  ASSIGN_OR_RETURN(std::string to, ExportBound(a.to, true));
  if (to <= from) return InvalidArgumentError("--to is before --from");
  if (a.format != "jsonl" && a.format != "fhir") return InvalidArgumentError("--format must be jsonl or fhir");
  const std::string tmp = a.out + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return InternalError("cannot write the export file");
  ::chmod(tmp.c_str(), 0600);
  const bool fhir = a.format == "fhir";
  if (fhir) out << audit::FhirBundlePrefix();
  int64_t count = 0;
  Status scanned = engine.store().audit().Scan(1, [&](const audit::AuditRecord& r) {
    if (r.time < from || r.time >= to) return true;
    if (!a.practice.empty() && r.practice_id != a.practice) return true;
    if (fhir) {
      if (count > 0) out << ",\n";
      out << audit::FhirBundleEntry(r);
    } else {
      out << audit::RecordToJson(r).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    }
    ++count;
    return static_cast<bool>(out);
  });
  if (fhir) out << audit::FhirBundleSuffix();
  out.close();
  if (!scanned.ok() || !out) {
    std::filesystem::remove(tmp);
    return scanned.ok() ? InternalError("cannot write the export file") : scanned;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, a.out, ec);
  if (ec) return InternalError("cannot write the export file");
  audit::Details details = {{"count", count}, {"from", from}, {"to", to}, {"format", a.format}};
  RETURN_IF_ERROR(engine.store().audit().Append(engine.Event("audit.export", a.practice, "", details)).status());
  return count;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "recompute the hash chain and check every signed checkpoint; name the first bad record or checkpoint");
  verify->callback([&ctx] {
    auto engine = ctx.Engine();
    if (!engine.ok()) return ctx.Finish(engine.status());
    auto checkpoints = (*engine)->store().audit().Checkpoints(1);
    if (!checkpoints.ok()) return ctx.Finish(checkpoints.status());
    audit::LogVerifier v(std::move(checkpoints).value(), (*engine)->signing_keys().KnownKeys());
    Status s = (*engine)->store().audit().Scan(1, [&](const audit::AuditRecord& r) { return v.Feed(r); });
    if (!s.ok()) return ctx.Finish(s);
    v.Finish();
    const auto& chain = v.chain();
    auto opt = [](std::optional<int64_t> x) { return x ? json(*x) : json(nullptr); };
    json out = {{"ok", v.ok()},
                {"records", chain.records()},
                {"first_bad_seq", opt(chain.first_bad_seq())},
                {"checkpoints", v.checkpoints()},
                {"checkpoints_verified", v.checkpoints_verified()},
                {"last_checkpoint_seq", opt(v.last_checkpoint_seq())},
                {"first_bad_checkpoint", opt(v.first_bad_checkpoint())}};
    if (!chain.ok()) out["reason"] = chain.reason();
    else out["head_hash"] = chain.head_hash();
    if (v.first_bad_checkpoint()) out["checkpoint_reason"] = v.checkpoint_reason();
    ctx.Emit(out);
    if (!chain.ok()) {
      std::cerr << "recall: error: audit chain broken at record " << *chain.first_bad_seq() << ": " << chain.reason()
                << "\n";
    }
    if (v.first_bad_checkpoint()) {
      std::cerr << "recall: error: audit checkpoint at record " << *v.first_bad_checkpoint()
                << " is bad: " << v.checkpoint_reason() << "\n";
    }
    if (!v.ok()) {
      // Opens (or updates) the audit_chain incident; never changes the verdict.
      (void)incidents::OnAuditVerifyFailure(
          **engine, !chain.ok() ? "chain broken at record " + std::to_string(*chain.first_bad_seq()) + ": " +
                                      chain.reason()
                                : "bad checkpoint at record " + std::to_string(*v.first_bad_checkpoint()));
      ctx.FinishWithExit(1);
    }
  });

  auto* checkpoint = audit->add_subcommand("checkpoint", "sign the chain head now unless a checkpoint covers it");
  checkpoint->callback(Command(ctx, [&ctx]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(auto cp, engine->CheckpointAudit());
    json out = {{"signed", cp.has_value()}};
    if (cp) out.update({{"seq", cp->seq}, {"hash", cp->hash}, {"key_id", cp->key_id}, {"created_at", cp->created_at}});
    ctx.Emit(out);
    return OkStatus();
  }));

  auto a = std::make_shared<ExportArgs>();
  auto* exp = audit->add_subcommand("export", "write the records of a date range as JSON Lines or a FHIR R4 Bundle of "
                                              "AuditEvent resources (audited)");
  exp->add_option("--from", a->from, "first day (YYYY-MM-DD, UTC) or time (YYYY-MM-DDTHH:MM:SSZ), inclusive")
      ->required();
  exp->add_option("--to", a->to, "last day or time, inclusive")->required();
  exp->add_option("--format", a->format, "jsonl (default) or fhir")->check(CLI::IsMember({"jsonl", "fhir"}));
  exp->add_option("--out", a->out, "output file")->required();
  exp->add_option("--practice", a->practice, "only this practice's records");
  exp->callback(Command(ctx, [&ctx, a]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    ASSIGN_OR_RETURN(int64_t count, ExportAudit(*engine, *a));
    (void)incidents::OnSensitiveAccess(*engine, a->practice, incidents::AccessKind::kExport);
    ctx.Emit({{"records", count}, {"format", a->format}, {"out", a->out}});
    return OkStatus();
  }));
}

void RegisterSynthCommands(CLI::App& app, Context& ctx) {
  auto* synth = app.add_subcommand("synth", "synthetic data for demos and tests (never real)");
  synth->require_subcommand(1);
  auto o = std::make_shared<patients::SyntheticOptions>();
  auto* p = synth->add_subcommand("patients", "write a synthetic EHR-style CSV export to stdout");
  p->add_option("--rows", o->rows, "rows (default 1000)");
  p->add_option("--seed", o->seed, "seed (default 1)");
  p->add_flag("--consent-columns", o->with_consent_columns, "add SMS/Email Consent columns (Y/N) as practices attest");
  p->callback(Command(ctx, [o]() -> Status {
    patients::WriteSyntheticCsv(std::cout, *o);
    std::cout.flush();
    return std::cout ? OkStatus() : InternalError("cannot write to stdout");
  }));
}

}  // namespace recall::cli
